// The build starts from an empty dist/: a module whose source was deleted or renamed must not
// linger there and ship in the package.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
