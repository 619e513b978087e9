// Normalises and optimises one model for the hub's asset library (called by tools/asset_optimiser.py).
//
// Usage: node tools/asset_optimise.mjs IN OUT OPTIONS_JSON
//   OPTIONS_JSON: {"name": "sofa", "scale": 0.01, "rotation": [x, y, z, w], "simplify": 0.5|null}
// Reads .glb or .gltf (with its files), puts the whole default scene under one root node that
// carries the unit scale and the up-axis turn, moves that root so the model's base centre is
// the origin, then: dedup, prune (empty anchor nodes and extras kept), weld, optional
// simplify, quantize. Extensions glTF-Transform does not know (OMI_*, MOZ_hubs_components,
// KHR_audio_emitter, ...) are passed through unchanged on nodes and on the root. Prints a JSON
// report {"passed_through": [...], "removed": [...]} on stdout; exit 1 with one line on stderr.
import { writeFile } from 'node:fs/promises';
import { Extension, ExtensionProperty, Logger, NodeIO, PropertyType, getBounds } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { dedup, prune, quantize, simplify, uninstance, weld } from '@gltf-transform/functions';
import { MeshoptDecoder, MeshoptSimplifier } from 'meshoptimizer';

// Extensions a library model must not carry: compression is done for delivery, not here;
// the hub lights its rooms itself; cameras and animation have no place in a static exhibit.
const REMOVE = new Set(['KHR_lights_punctual', 'EXT_meshopt_compression', 'KHR_draco_mesh_compression', 'EXT_mesh_gpu_instancing']);

function passThrough(name) {
  class RawProperty extends ExtensionProperty {
    static EXTENSION_NAME = name;
    init() {
      this.extensionName = name;
      this.propertyType = `Raw ${name}`;
      this.parentTypes = [PropertyType.NODE, PropertyType.ROOT];
    }
    getDefaults() {
      return Object.assign(super.getDefaults(), { raw: null });
    }
  }
  return class RawExtension extends Extension {
    static EXTENSION_NAME = name;
    extensionName = name;
    read(context) {
      const json = context.jsonDoc.json;
      const make = (raw) => new RawProperty(this.document.getGraph()).set('raw', raw);
      (json.nodes || []).forEach((node, index) => {
        if (node.extensions && name in node.extensions) {
          context.nodes[index].setExtension(name, make(node.extensions[name]));
        }
      });
      if (json.extensions && name in json.extensions) {
        this.document.getRoot().setExtension(name, make(json.extensions[name]));
      }
      return this;
    }
    write(context) {
      const json = context.jsonDoc.json;
      for (const node of this.document.getRoot().listNodes()) {
        const prop = node.getExtension(name);
        if (!prop) continue;
        const out = json.nodes[context.nodeIndexMap.get(node)];
        out.extensions = Object.assign(out.extensions || {}, { [name]: prop.get('raw') });
      }
      const rootProp = this.document.getRoot().getExtension(name);
      if (rootProp) {
        json.extensions = Object.assign(json.extensions || {}, { [name]: rootProp.get('raw') });
      }
      return this;
    }
  };
}

async function main() {
  const [input, output, optionsText] = process.argv.slice(2);
  if (!input || !output || !optionsText) {
    throw new Error('usage: node asset_optimise.mjs IN OUT OPTIONS_JSON');
  }
  const options = JSON.parse(optionsText);
  const known = new Set(ALL_EXTENSIONS.map((e) => e.EXTENSION_NAME));
  await MeshoptDecoder.ready;
  const used = (await new NodeIO().readAsJSON(input)).json.extensionsUsed || [];
  if (used.includes('KHR_draco_mesh_compression')) {
    throw new Error('the model is Draco-compressed; export it again without compression');
  }
  const unknown = used.filter((name) => !known.has(name));
  const reader = new NodeIO()
    .registerExtensions([...ALL_EXTENSIONS, ...unknown.map(passThrough)])
    .registerDependencies({ 'meshopt.decoder': MeshoptDecoder });
  const doc = await reader.read(input);
  doc.setLogger(new Logger(Logger.Verbosity.SILENT));
  const root = doc.getRoot();
  const removed = [];

  const scene = root.getDefaultScene() || root.listScenes()[0];
  if (!scene) throw new Error('the model has no scene');
  for (const other of root.listScenes()) {
    if (other !== scene) {
      other.dispose();
      removed.push('other scenes');
    }
  }
  if (root.listAnimations().length) removed.push(`${root.listAnimations().length} animation(s)`);
  root.listAnimations().forEach((a) => a.dispose());
  if (root.listCameras().length) removed.push(`${root.listCameras().length} camera(s)`);
  root.listCameras().forEach((c) => c.dispose());
  if (root.listSkins().length) removed.push(`${root.listSkins().length} skin(s) (shown in rest pose)`);
  root.listSkins().forEach((s) => s.dispose());
  if (root.listExtensionsUsed().some((e) => e.extensionName === 'EXT_mesh_gpu_instancing')) {
    await doc.transform(uninstance());
  }
  for (const ext of root.listExtensionsUsed()) {
    if (REMOVE.has(ext.extensionName)) {
      removed.push(ext.extensionName);
      ext.dispose();
    }
  }

  // a .gltf may bring several .bin files; a GLB has room for one buffer
  const [buffer, ...others] = root.listBuffers();
  if (buffer) {
    root.listAccessors().forEach((accessor) => accessor.setBuffer(buffer));
    others.forEach((other) => other.dispose());
  }

  const wrapper = doc.createNode(`Asset ${options.name}`);
  for (const child of scene.listChildren()) {
    scene.removeChild(child);
    wrapper.addChild(child);
  }
  scene.addChild(wrapper);
  const s = options.scale;
  wrapper.setScale([s, s, s]).setRotation(options.rotation);
  const { min, max } = getBounds(wrapper);
  if (!min.every(Number.isFinite) || !max.every(Number.isFinite)) {
    throw new Error('the model has no visible geometry');
  }
  wrapper.setTranslation([-(min[0] + max[0]) / 2, -min[1], -(min[2] + max[2]) / 2]);

  const steps = [dedup(), prune({ keepLeaves: true, keepExtras: true }), weld()];
  if (options.simplify) {
    await MeshoptSimplifier.ready;
    steps.push(simplify({ simplifier: MeshoptSimplifier, ratio: options.simplify, error: 0.01 }));
  }
  steps.push(quantize(), prune({ keepLeaves: true, keepExtras: true }));
  await doc.transform(...steps);
  const glb = await new NodeIO()
    .registerExtensions([...ALL_EXTENSIONS, ...unknown.map(passThrough)])
    .writeBinary(doc);
  await writeFile(output, glb);
  process.stdout.write(JSON.stringify({ passed_through: unknown, removed }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.message ? error.message : error).split('\n')[0] + '\n');
  process.exit(1);
});
