// Takes a data folder's lock when told to ("go" on stdin), says whether it won, and holds it until
// stdin closes or it is killed. test/unit/data-lock.test.ts races several of these.
import { createInterface } from 'node:readline';
import { DataFolderInUseError, lockDataDir } from '../../local/data-lock.ts';

const lines = createInterface({ input: process.stdin });
lines.once('line', () => {
  lockDataDir(process.argv[2] as string).then(
    () => console.log('won'),
    (err: unknown) => {
      console.log(err instanceof DataFolderInUseError ? 'lost' : `failed ${String(err)}`);
      process.exit(0);
    },
  );
});
lines.on('close', () => process.exit(0));
console.log('ready');
