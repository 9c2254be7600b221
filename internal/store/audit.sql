-- name: insert-audit-event
INSERT INTO audit_events (actor_type, actor_id, actor_label, action, organization_id, user_id,
                          target_type, target_id, changes, ip, user_agent, request_id, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
