import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full garbage collection, for the tests that check what a user agent lets go of. */
export const gc = runInNewContext('gc') as () => void;
