// Where the package's data folders (tiers/, releases/, costs/, templates/) are: src/core and
// dist/core are both two levels below the package root, and so is the bundle (dist/bundle/).
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
