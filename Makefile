dev-ids:
	@npx --no-install tsx scripts/dev-ids.ts

.PHONY: dev-ids
