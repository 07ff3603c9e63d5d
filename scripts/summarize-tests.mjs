// Totals of every suite's JSON report as one plain line, "N passed, N failed", so a run that
// executed no test (or whose reporter crashed) is visible. Exit status 1 when anything failed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
const suites = [
  ['checks', (r) => ({ passed: r.passed, failed: r.failed })],
  ['unit', vitest],
  ['template', vitest],
  ['integration', vitest],
  ['e2e', (r) => ({ passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected })],
];

function vitest(r) {
  // A file that failed to load counts as a failure even when it ran no test.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  return { passed: r.numPassedTests, failed: r.numFailedTests + brokenFiles };
}

let passed = 0;
let failed = 0;
for (const [name, read] of suites) {
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    console.log(`${name}: no report (the suite did not run) - counted as 1 failed`);
    failed += 1;
    continue;
  }
  const r = read(JSON.parse(readFileSync(file, 'utf8')));
  console.log(`${name}: ${r.passed} passed, ${r.failed} failed`);
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
