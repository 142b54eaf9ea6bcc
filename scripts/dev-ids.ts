// Prints the ids the tutorial reads with `eval "$(make -s dev-ids)"`.
import { FIXTURES } from './fixtures.ts';

process.stdout.write(`export DOMAIN_ID=${FIXTURES.domain.id}\nexport BINDING_ID=${FIXTURES.binding.id}\n`);
