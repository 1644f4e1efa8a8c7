"""HTTP plumbing shared by the pages (web/) and the JSON API (api/): the access gate,
error mapping, idempotency and request helpers. web/ and api/ never import each other."""
