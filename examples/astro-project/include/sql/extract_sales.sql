SELECT * FROM sales WHERE day = '{{ params.day }}';
