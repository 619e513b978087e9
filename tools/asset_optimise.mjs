// Normalises and optimises one model for the hub's asset library (called by tools/asset_optimiser.py).
//
// Usage: node tools/asset_optimise.mjs IN OUT OPTIONS_JSON
//   OPTIONS_JSON: {"name": "sofa", "scale": 0.01, "rotation": [x, y, z, w], "simplify": 0.5|null}
// Reads .glb or .gltf (with its files), puts the whole default scene under one root node that
// carries the unit scale and the up-axis turn, moves that root so the model's base centre is
// the origin, then: dedup, prune (empty anchor nodes and extras kept), weld, optional
// simplify (normals dropped first, so flat-shaded faces weld into one surface), normals
// computed where there are none (edges sharper than 40 degrees stay sharp), quantize. Extensions glTF-Transform does not know (OMI_*, MOZ_hubs_components,
// KHR_audio_emitter, ...) are passed through unchanged on nodes and on the root. Prints a JSON
// report {"passed_through": [...], "removed": [...], "notes": [...], "triangles_before": N,
// "triangles": N} on stdout (triangles before and after simplifying); exit 1 with one line on stderr.
import { writeFile } from 'node:fs/promises';
import { Document, Extension, ExtensionProperty, Logger, NodeIO, PropertyType, getBounds } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import {
  convertPrimitiveToTriangles, dedup, prune, quantize, simplify, uninstance, unweldPrimitive, weld,
} from '@gltf-transform/functions';
import { MeshoptDecoder, MeshoptSimplifier } from 'meshoptimizer';

const TRIANGLES = 4;
const TRIANGLE_STRIP = 5;
const TRIANGLE_FAN = 6;
const SURFACES = new Set([TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN]);
// Edges between faces more than this far apart stay sharp when normals are computed (a box
// keeps its edges, a sphere of many faces comes out smooth): Blender's "auto smooth".
const CREASE_DEGREES = 40;

function surfaces(doc) {
  return doc.getRoot().listMeshes().flatMap((mesh) => mesh.listPrimitives())
    .filter((prim) => SURFACES.has(prim.getMode()) && prim.getAttribute('POSITION'));
}

function triangleCount(doc) {
  let total = 0;
  for (const prim of surfaces(doc)) {
    const corners = (prim.getIndices() || prim.getAttribute('POSITION')).getCount();
    total += prim.getMode() === TRIANGLES ? Math.floor(corners / 3) : Math.max(0, corners - 2);
  }
  return total;
}

// Vertex normals for a primitive without them: each corner gets the area-weighted normal of
// the faces around its position that lie within CREASE_DEGREES of its own face.
function computeNormals(prim) {
  if (prim.getMode() !== TRIANGLES) convertPrimitiveToTriangles(prim);
  unweldPrimitive(prim);
  for (const name of ['NORMAL', 'TANGENT']) {
    if (prim.getAttribute(name)) prim.setAttribute(name, null);
  }
  const position = prim.getAttribute('POSITION');
  const faces = Math.floor(position.getCount() / 3);
  const corner = [0, 0, 0];
  const points = new Float64Array(faces * 9);
  for (let i = 0; i < faces * 3; i++) {
    position.getElement(i, corner);
    points.set(corner, i * 3);
  }
  const weighted = new Float64Array(faces * 3);
  const unit = new Float64Array(faces * 3);
  const around = new Map();
  for (let f = 0; f < faces; f++) {
    const [ax, ay, az, bx, by, bz, cx, cy, cz] = points.subarray(f * 9, f * 9 + 9);
    const ux = bx - ax, uy = by - ay, uz = bz - az, vx = cx - ax, vy = cy - ay, vz = cz - az;
    const n = [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
    const length = Math.hypot(...n);
    weighted.set(n, f * 3);
    if (length > 0) unit.set(n.map((v) => v / length), f * 3);
    for (let k = 0; k < 3; k++) {
      const key = points.subarray(f * 9 + k * 3, f * 9 + k * 3 + 3).join(',');
      if (!around.has(key)) around.set(key, []);
      around.get(key).push(f);
    }
  }
  const limit = Math.cos((CREASE_DEGREES * Math.PI) / 180);
  const normals = new Float32Array(faces * 9);
  for (let f = 0; f < faces; f++) {
    for (let k = 0; k < 3; k++) {
      const key = points.subarray(f * 9 + k * 3, f * 9 + k * 3 + 3).join(',');
      const sum = [0, 0, 0];
      for (const g of around.get(key)) {
        const cos = unit[f * 3] * unit[g * 3] + unit[f * 3 + 1] * unit[g * 3 + 1] + unit[f * 3 + 2] * unit[g * 3 + 2];
        if (g === f || cos >= limit) {
          for (let j = 0; j < 3; j++) sum[j] += weighted[g * 3 + j];
        }
      }
      const length = Math.hypot(...sum);
      normals.set(length > 0 ? sum.map((v) => v / length) : [0, 1, 0], f * 9 + k * 3);
    }
  }
  const doc = Document.fromGraph(prim.getGraph());
  prim.setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(normals).setBuffer(position.getBuffer()));
}

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

  const notes = [];
  const withoutNormals = surfaces(doc).filter((prim) => !prim.getAttribute('NORMAL')).length;
  if (withoutNormals) {
    notes.push(`${withoutNormals} part(s) of the model had no normals (it would look flat and dark): `
      + `computed, edges sharper than ${CREASE_DEGREES} degrees kept sharp`);
  }
  if (options.simplify) {
    // Faces with normals of their own (flat shading) share no vertex with their neighbours,
    // and the simplifier cannot merge what is not joined: weld by position, compute anew.
    for (const prim of surfaces(doc)) {
      for (const name of ['NORMAL', 'TANGENT']) {
        if (prim.getAttribute(name)) prim.setAttribute(name, null);
      }
    }
  }
  const keep = { keepLeaves: true, keepExtras: true };
  await doc.transform(dedup(), prune(keep), weld());
  const triangles = triangleCount(doc);
  if (options.simplify) {
    await MeshoptSimplifier.ready;
    await doc.transform(simplify({ simplifier: MeshoptSimplifier, ratio: options.simplify, error: 0.01 }));
  }
  for (const prim of surfaces(doc)) {
    if (!prim.getAttribute('NORMAL')) computeNormals(prim);
  }
  await doc.transform(weld(), quantize(), prune(keep));
  const glb = await new NodeIO()
    .registerExtensions([...ALL_EXTENSIONS, ...unknown.map(passThrough)])
    .writeBinary(doc);
  await writeFile(output, glb);
  process.stdout.write(JSON.stringify({
    passed_through: unknown, removed, notes, triangles_before: triangles, triangles: triangleCount(doc),
  }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.message ? error.message : error).split('\n')[0] + '\n');
  process.exit(1);
});
