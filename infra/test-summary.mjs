// Adds up vitest's JSON report and pytest's JUnit XML into one closing line: "N passed, N failed".
// A missing report counts as one failure, so a runner that crashed cannot look green.
import { existsSync, readFileSync } from 'node:fs';

const [vitestJson, pytestXml] = process.argv.slice(2);
let passed = 0;
let failed = 0;

if (vitestJson && existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A test file that failed before running any test (import error, crashed hook) counts as one failure.
  for (const file of r.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed'))
      failed += 1;
  }
} else {
  console.error(`no vitest report at ${vitestJson}`);
  failed += 1;
}

if (pytestXml && existsSync(pytestXml)) {
  const xml = readFileSync(pytestXml, 'utf8');
  const suite = /<testsuite\b[^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const bad = attr('failures') + attr('errors');
  passed += attr('tests') - bad - attr('skipped');
  failed += bad;
} else {
  console.error(`no pytest report at ${pytestXml}`);
  failed += 1;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
