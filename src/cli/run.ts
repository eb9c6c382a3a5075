import { main } from '../cli.js';

// The process entry point of the `confab` command (bin/confab.js imports the compiled form).
await main(process.argv);
