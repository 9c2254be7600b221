-- Where `roster serve` processes answer (cmd/roster serve and admin login-link).

-- name: record-serving
INSERT INTO serving_processes (id, public_url, started_at) VALUES ($1, $2, $3);

-- name: forget-serving
DELETE FROM serving_processes WHERE id = $1;

-- name: newest-serving
SELECT public_url, started_at FROM serving_processes ORDER BY started_at DESC, id LIMIT 1;
