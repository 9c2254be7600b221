-- name: insert-domain
INSERT INTO organization_domains (id, organization_id, domain, domain_type, verification_status,
                                  verification_method, txt_record_key, txt_record_secret,
                                  verified_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
RETURNING id, organization_id, domain, domain_type, verification_status, verification_method,
          txt_record_key, txt_record_secret, last_checked_at, verified_at, created_at, updated_at;

-- name: get-domain
-- Always by organization and id together: an id from another org is not found.
SELECT id, organization_id, domain, domain_type, verification_status, verification_method,
       txt_record_key, txt_record_secret, last_checked_at, verified_at, created_at, updated_at
FROM organization_domains WHERE organization_id = $1 AND id = $2;

-- name: delete-domain
DELETE FROM organization_domains WHERE organization_id = $1 AND id = $2
RETURNING id, organization_id, domain, domain_type, verification_status, verification_method,
          txt_record_key, txt_record_secret, last_checked_at, verified_at, created_at, updated_at;

-- name: list-domains-forward
SELECT id, organization_id, domain, domain_type, verification_status, verification_method,
       txt_record_key, txt_record_secret, last_checked_at, verified_at, created_at, updated_at
FROM organization_domains
WHERE organization_id = $1 AND (created_at, id) > ($2, $3)
ORDER BY created_at, id
LIMIT $4;

-- name: list-domains-backward
SELECT id, organization_id, domain, domain_type, verification_status, verification_method,
       txt_record_key, txt_record_secret, last_checked_at, verified_at, created_at, updated_at
FROM organization_domains
WHERE organization_id = $1 AND (created_at, id) < ($2, $3)
ORDER BY created_at DESC, id DESC
LIMIT $4;

-- name: count-domains
SELECT count(*) FROM organization_domains WHERE organization_id = $1;

