// Runs the Khronos glTF-Validator on one file and prints its report as JSON.
// Usage: node world/khronos_validate.mjs FILE   (exit 0 when a report was produced)
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import validator from 'gltf-validator';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node khronos_validate.mjs FILE\n');
  process.exit(2);
}
// A buffer or image is read only from the model's own folder (links followed), as the hub's
// readers do (world/model_uris.py); anything else is reported by the validator as unreadable.
async function besideTheModel(folder, uri) {
  const name = decodeURIComponent(uri);
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('//') || path.isAbsolute(name)) {
    throw new Error(`${uri} is not a file in the model's folder`);
  }
  const target = await realpath(path.resolve(folder, name));
  const inside = path.relative(folder, target);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    throw new Error(`${uri} is outside the model's folder`);
  }
  return new Uint8Array(await readFile(target));
}

try {
  const data = await readFile(file);
  const folder = await realpath(path.dirname(path.resolve(file)));
  const report = await validator.validateBytes(new Uint8Array(data), {
    uri: path.basename(file),
    maxIssues: 1000,
    externalResourceFunction: (uri) => besideTheModel(folder, uri),
  });
  process.stdout.write(JSON.stringify(report));
} catch (error) {
  process.stderr.write(String(error && error.message ? error.message : error) + '\n');
  process.exit(1);
}
