// The repository's lint rules, applied to this folder, with its build output (dist/) ignored.
import root from '../eslint.config.js';

export default [{ ignores: ['dist/**', 'node_modules/**'] }, ...root];
