// Runs the Khronos glTF-Validator on one file and prints its report as JSON.
// Usage: node world/khronos_validate.mjs FILE   (exit 0 when a report was produced)
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import validator from 'gltf-validator';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node khronos_validate.mjs FILE\n');
  process.exit(2);
}
try {
  const data = await readFile(file);
  const report = await validator.validateBytes(new Uint8Array(data), {
    uri: path.basename(file),
    maxIssues: 1000,
    externalResourceFunction: (uri) =>
      readFile(path.resolve(path.dirname(file), decodeURIComponent(uri))).then((b) => new Uint8Array(b)),
  });
  process.stdout.write(JSON.stringify(report));
} catch (error) {
  process.stderr.write(String(error && error.message ? error.message : error) + '\n');
  process.exit(1);
}
