//! The Dockerfile: a parser that keeps every byte, the build stages with their base images,
//! `ARG` defaults, `ENV` settings, and the rewrite of the base image tag.

mod image;
mod lexer;
mod pip;
mod rewrite;
pub(crate) mod words;

use std::fmt;
use std::ops::Range;
use std::path::Path;

pub use image::{
    AP_AIRFLOW_REPO, APACHE_AIRFLOW_REPO, BaseImage, Family, ImageRef, RUNTIME_AF2_REPO,
    RUNTIME_AF3_OLD_REPO, RUNTIME_AF3_REPO,
};
pub use lexer::{Directives, Instruction};
pub use pip::{PipInstalls, PipSource, SourceKind, expand_vars};
pub use rewrite::{Change, NewBase, Rewrite};

/// Classifies an image reference (family, version) with the bytes of its version.
pub(crate) use image::classify as classify_image;

use crate::text::{Mapped, TextError, read_text};
use image::Problem;
use words::{Scope, expand, split_words, unquote};

/// A problem with a Dockerfile, with the file and 1-based line it concerns (0: the whole file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DockerfileError {
    /// The file as shown to the user (`Dockerfile`).
    pub path: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for DockerfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.path, self.kind),
            l => write!(f, "{}:{l}: {}", self.path, self.kind),
        }
    }
}

/// What is wrong with a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error(
        "not found; skyhop reads the project's base image from the Dockerfile (is this an Astro project directory?)"
    )]
    Missing,
    #[error("{0}")]
    Text(TextError),
    #[error("no FROM instruction; a Dockerfile must name its base image with FROM")]
    NoFrom,
    #[error("unknown instruction `{0}`; is this a Dockerfile?")]
    UnknownInstruction(String),
    #[error("`{0}` comes before the first FROM; only ARG may come before FROM")]
    BeforeFrom(String),
    #[error("the parser directive `{0}` is given twice")]
    DuplicateDirective(String),
    #[error("invalid escape character `{0}` in `# escape=`; use `\\` or `` ` ``")]
    BadEscape(String),
    #[error("the heredoc `<<{0}` is never closed: no line `{0}` follows")]
    UnterminatedHeredoc(String),
    #[error("FROM names no image")]
    FromWithoutImage,
    #[error("cannot read this FROM: {0}")]
    BadFrom(String),
    #[error(
        "the base image `{image}` has no tag, so its version is unknown; write the exact version tag (e.g. `{name}:{example}`)"
    )]
    NoTag {
        image: String,
        name: String,
        example: &'static str,
    },
    #[error(
        "the base image `{0}` uses the moving tag `latest`; write the exact version tag instead"
    )]
    Latest(String),
    #[error(
        "the tag of `{image}` is not an exact {family} version (like {example}); write the exact version"
    )]
    BadTag {
        image: String,
        family: Family,
        example: &'static str,
    },
    #[error(
        "unknown registry `{registry}` for the base image `{image}`; skyhop knows {RUNTIME_AF2_REPO}, {RUNTIME_AF3_REPO} and apache/airflow; pass --airflow-version to say which Airflow it runs"
    )]
    UnknownRegistry { image: String, registry: String },
    #[error("unknown base image `{0}`; pass --airflow-version to say which Airflow it runs")]
    UnknownImage(String),
    #[error(
        "the base image `{image}` uses ARG `{arg}`, which has no default value; give it one (`ARG {arg}=...`) or pass --airflow-version"
    )]
    UndefinedArg { image: String, arg: String },
    #[error(
        "cannot rewrite `{0}`: its version is assembled from several variables or lines; edit it by hand"
    )]
    SplitVersion(String),
    #[error("`{version}` is not a valid {family} version (like {example})")]
    BadNewVersion {
        version: String,
        family: Family,
        example: &'static str,
    },
    #[error(
        "cannot move `{image}` from {from} to another image family ({to}); edit the FROM line by hand"
    )]
    FamilySwitch {
        image: String,
        from: Family,
        to: String,
    },
}

/// A `FROM` instruction: one build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based stage index.
    pub index: usize,
    /// 1-based line of the FROM.
    pub line: usize,
    /// `--platform=` value, as written.
    pub platform: Option<String>,
    /// The image word as written (`quay.io/astronomer/astro-runtime:${RUNTIME}`).
    pub image: String,
    /// The image after `ARG` substitution.
    pub resolved: String,
    /// `AS name`, when given.
    pub name: Option<String>,
    /// When the FROM names an earlier stage (`FROM builder`), that stage's index.
    pub from_stage: Option<usize>,
    /// The image reference, when this stage starts from an image (not a stage, not `scratch`).
    pub reference: Option<ImageRef>,
    /// Build arguments the image uses.
    pub args_used: Vec<String>,
    /// Build arguments the image uses that have no default value.
    pub undefined_args: Vec<String>,
    /// Byte span of the tag in the original text, when it is written in one piece (in the FROM
    /// line itself or in an `ARG` default). Replacing these bytes changes the tag.
    pub tag_span: Option<Range<usize>>,
    /// The resolved image with, for each byte, its original offset.
    pub(crate) expanded: Mapped,
}

/// An `ENV` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// 1-based line of the ENV instruction.
    pub line: usize,
    pub key: String,
    /// Value with quotes and escapes removed (variables are not substituted).
    pub value: String,
}

/// A build argument declared before the first FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// 1-based line.
    pub line: usize,
    pub name: String,
    /// Default value, resolved.
    pub default: Option<String>,
}

/// Where a classified base image comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocatedBase {
    pub base: BaseImage,
    /// Index of the stage whose FROM names the image.
    pub stage: usize,
    /// 1-based line of that FROM.
    pub line: usize,
    /// The image as resolved (`quay.io/astronomer/astro-runtime:11.3.0`).
    pub image: String,
}

/// A parsed Dockerfile. The original text is kept whole; everything else points into it.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    path: String,
    text: String,
    directives: Directives,
    instructions: Vec<Instruction>,
    stages: Vec<Stage>,
    args: Vec<Arg>,
    env: Vec<EnvVar>,
}

impl Dockerfile {
    /// Reads and parses the Dockerfile at `path`; errors name it as `display` (e.g. `Dockerfile`).
    pub fn read(path: &Path, display: &str) -> Result<Dockerfile, DockerfileError> {
        let err = |line, kind| DockerfileError {
            path: display.to_string(),
            line,
            kind,
        };
        if !path.exists() {
            return Err(err(0, ErrorKind::Missing));
        }
        let text = read_text(path).map_err(|e| err(e.line(), ErrorKind::Text(e)))?;
        Dockerfile::parse_named(&text, display)
    }

    /// Parses Dockerfile text; errors call it `Dockerfile`.
    pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
        Dockerfile::parse_named(text, "Dockerfile")
    }

    /// Parses Dockerfile text; errors call it `display`.
    pub fn parse_named(text: &str, display: &str) -> Result<Dockerfile, DockerfileError> {
        let err = |line, kind| DockerfileError {
            path: display.to_string(),
            line,
            kind,
        };
        let (directives, instructions) =
            lexer::lex(text).map_err(|(line, kind)| err(line, kind))?;
        let escape = directives.escape;
        let mut scope = Scope::new();
        let mut args = Vec::new();
        let mut stages: Vec<Stage> = Vec::new();
        let mut env = Vec::new();
        for ins in &instructions {
            match ins.keyword.as_str() {
                "ARG" if stages.is_empty() => {
                    for word in split_words(&ins.args, escape) {
                        let (name, default) = match word.text.find('=') {
                            Some(eq) => {
                                let value =
                                    expand(&word.slice(eq + 1..word.text.len()), &scope, escape);
                                (word.text[..eq].to_string(), Some(value.value))
                            }
                            None => (word.text.clone(), None),
                        };
                        args.push(Arg {
                            line: ins.line,
                            name: name.clone(),
                            default: default.as_ref().map(|d| d.text.clone()),
                        });
                        scope.insert(name, default);
                    }
                }
                "FROM" => {
                    let stage = parse_from(ins, &scope, escape, &stages)
                        .map_err(|kind| err(ins.line, kind))?;
                    stages.push(stage);
                }
                "ENV" => env.extend(parse_env(ins, escape)),
                kw if stages.is_empty() => {
                    return Err(err(ins.line, ErrorKind::BeforeFrom(kw.to_string())));
                }
                _ => {}
            }
        }
        if stages.is_empty() {
            return Err(err(0, ErrorKind::NoFrom));
        }
        Ok(Dockerfile {
            path: display.to_string(),
            text: text.to_string(),
            directives,
            instructions,
            stages,
            args,
            env,
        })
    }

    /// The original text, unchanged.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The name errors use for this file.
    pub fn display_path(&self) -> &str {
        &self.path
    }

    /// Parser directives (`# syntax=`, `# escape=`).
    pub fn directives(&self) -> &Directives {
        &self.directives
    }

    /// Every instruction, in order.
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    /// Every `FROM`, in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Build arguments declared before the first FROM (those FROM lines can use).
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Every `ENV` setting, in order, all stages.
    pub fn env(&self) -> &[EnvVar] {
        &self.env
    }

    /// `ENV` settings the final image has on top of its base: those of the final stage and of
    /// the stages it builds on (`FROM builder`), in order.
    pub fn final_env(&self) -> Vec<&EnvVar> {
        self.env
            .iter()
            .filter(|e| self.in_final_image(e.line))
            .collect()
    }

    /// Whether the instruction starting at `line` belongs to the final stage or to a stage it
    /// builds on (`FROM builder`).
    pub(crate) fn in_final_image(&self, line: usize) -> bool {
        let mut index = self.stages.len() - 1;
        loop {
            let start = self.stages[index].line;
            let end = self.stages.get(index + 1).map_or(usize::MAX, |s| s.line);
            if (start..end).contains(&line) {
                return true;
            }
            match self.stages[index].from_stage {
                Some(parent) if parent < index => index = parent,
                _ => return false,
            }
        }
    }

    /// `AIRFLOW__SECTION__KEY` settings: `(section, key, var)` for every such ENV.
    pub fn airflow_config(&self) -> Vec<(String, String, &EnvVar)> {
        self.env
            .iter()
            .filter_map(|e| {
                let (section, key) = crate::text::airflow_key(&e.key)?;
                Some((section, key, e))
            })
            .collect()
    }

    fn error(&self, line: usize, kind: ErrorKind) -> DockerfileError {
        DockerfileError {
            path: self.path.clone(),
            line,
            kind,
        }
    }

    /// The stage a stage finally builds on: follows `FROM <earlier stage>` links.
    pub fn root_stage(&self, index: usize) -> &Stage {
        let mut s = &self.stages[index.min(self.stages.len() - 1)];
        for _ in 0..self.stages.len() {
            match s.from_stage {
                Some(parent) if parent < s.index => s = &self.stages[parent],
                _ => break,
            }
        }
        s
    }

    /// Classifies the base image of one stage (following stage links). Custom images are `Ok`.
    pub fn stage_base(&self, index: usize) -> Result<LocatedBase, DockerfileError> {
        let stage = self.root_stage(index);
        let located = |base| LocatedBase {
            base,
            stage: stage.index,
            line: stage.line,
            image: stage.resolved.clone(),
        };
        if let Some(arg) = stage.undefined_args.first() {
            return Err(self.error(
                stage.line,
                ErrorKind::UndefinedArg {
                    image: stage.image.clone(),
                    arg: arg.clone(),
                },
            ));
        }
        let Some(reference) = &stage.reference else {
            return Ok(located(BaseImage::Custom {
                image: stage.resolved.clone(),
            }));
        };
        match image::classify(reference) {
            Ok((base, _)) => Ok(located(base)),
            Err(problem) => Err(self.error(stage.line, problem_kind(problem, &stage.resolved))),
        }
    }

    /// The base image the final stage runs on (following stage aliases). Custom images are an
    /// error saying to pass `--airflow-version`.
    pub fn base_image(&self) -> Result<LocatedBase, DockerfileError> {
        let located = self.stage_base(self.stages.len() - 1)?;
        if let BaseImage::Custom { image } = &located.base {
            return Err(self.error(located.line, ErrorKind::UnknownImage(image.clone())));
        }
        Ok(located)
    }
}

fn problem_kind(problem: Problem, image: &str) -> ErrorKind {
    let image = image.to_string();
    match problem {
        Problem::NoTag { name, family } => ErrorKind::NoTag {
            image,
            name,
            example: example(family).split(' ').next().unwrap_or("1.0"),
        },
        Problem::Latest => ErrorKind::Latest(image),
        Problem::BadTag { family } => ErrorKind::BadTag {
            image,
            family,
            example: example(family),
        },
        Problem::UnknownRegistry { registry } => ErrorKind::UnknownRegistry { image, registry },
    }
}

pub(crate) fn example(family: Family) -> &'static str {
    match family {
        Family::AstroRuntime => "11.3.0 or 3.1-12",
        Family::ApacheAirflow => "2.10.5",
        Family::LegacyApAirflow => "2.2.5 or 2.3.0-2",
        Family::Custom => "1.0",
    }
}

/// Reads `FROM [--platform=…] image [AS name]`.
fn parse_from(
    ins: &Instruction,
    scope: &Scope,
    escape: char,
    earlier: &[Stage],
) -> Result<Stage, ErrorKind> {
    let words = split_words(&ins.args, escape);
    let mut platform = None;
    let mut rest = words.iter();
    let image_word = loop {
        match rest.next() {
            None => return Err(ErrorKind::FromWithoutImage),
            Some(w) if w.text.starts_with("--") => {
                let (flag, value) = w.text.split_once('=').unwrap_or((&w.text, ""));
                if flag == "--platform" {
                    platform = Some(value.to_string());
                } else {
                    return Err(ErrorKind::BadFrom(format!(
                        "unknown flag `{flag}` (FROM takes only --platform)"
                    )));
                }
            }
            Some(w) => break w,
        }
    };
    let name = match (rest.next(), rest.next(), rest.next()) {
        (None, _, _) => None,
        (Some(a), Some(n), None) if a.text.eq_ignore_ascii_case("as") => Some(n.text.clone()),
        (Some(a), None, _) if a.text.eq_ignore_ascii_case("as") => {
            return Err(ErrorKind::BadFrom("`AS` needs a stage name".into()));
        }
        (Some(a), _, _) => {
            let what: String = a.text.chars().take(40).collect();
            return Err(ErrorKind::BadFrom(format!(
                "unexpected `{what}` after the image; expected `AS name`"
            )));
        }
    };
    let ex = expand(image_word, scope, escape);
    let resolved = ex.value.text.clone();
    let from_stage = earlier
        .iter()
        .rev()
        .find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&resolved))
        })
        .map(|s| s.index);
    let reference = if from_stage.is_some() || resolved == "scratch" || resolved.is_empty() {
        None
    } else {
        Some(ImageRef::parse(&resolved))
    };
    let tag_span = reference
        .as_ref()
        .and_then(|r| r.tag_range.clone())
        .and_then(|range| ex.value.original_span(range));
    let mut used = ex.used.clone();
    used.dedup();
    let mut undefined = ex.undefined.clone();
    undefined.dedup();
    Ok(Stage {
        index: earlier.len(),
        line: ins.line,
        platform,
        image: image_word.text.clone(),
        resolved,
        name,
        from_stage,
        reference,
        args_used: used,
        undefined_args: undefined,
        tag_span,
        expanded: ex.value,
    })
}

/// `ENV A=b C="d e"` or the old `ENV A b c` form.
fn parse_env(ins: &Instruction, escape: char) -> Vec<EnvVar> {
    let words = split_words(&ins.args, escape);
    match words.first() {
        Some(first) if !first.text.contains('=') => {
            let rest = ins.args.text[first.text.len()..].trim();
            vec![EnvVar {
                line: ins.line,
                key: first.text.clone(),
                value: unquote(rest, escape),
            }]
        }
        _ => words
            .iter()
            .filter_map(|w| {
                let (k, v) = w.text.split_once('=')?;
                Some(EnvVar {
                    line: ins.line,
                    key: k.to_string(),
                    value: unquote(v, escape),
                })
            })
            .collect(),
    }
}
