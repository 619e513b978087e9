/**
 * Canvases drawn into the world: the nodes of the hub model's anchors (boards, screens,
 * consulting corners; the glTF extras mark them), a canvas shown as a texture on a flat
 * plane, what the boards, charts and signs draw on, and such a canvas on a board's face.
 */

import * as THREE from "three";

const EXTRAS_KEY = "hubtwin";

/**
 * The anchor nodes of a model by anchor id (the first node of an id).
 * @param {THREE.Object3D} root
 * @returns {Map<string, THREE.Object3D>}
 */
export function anchorNodes(root) {
  /** @type {Map<string, THREE.Object3D>} */
  const found = new Map();
  root.traverse((node) => {
    const meta = node.userData?.[EXTRAS_KEY];
    if (meta?.type === "anchor" && !found.has(meta.id)) found.set(meta.id, node);
  });
  return found;
}

/**
 * A canvas of size metres (at pixelsPerMetre) on a plane of plane metres, named name.
 * @param {[number, number]} size
 * @param {{pixelsPerMetre: number, plane?: [number, number], name: string, doubleSided?: boolean}} options
 */
export function canvasFace([w, h], { pixelsPerMetre, plane = [w, h], name, doubleSided = false }) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(w * pixelsPerMetre);
  canvas.height = Math.round(h * pixelsPerMetre);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  const material = new THREE.MeshBasicMaterial({
    map: texture, toneMapped: false, ...(doubleSided ? { side: THREE.DoubleSide } : {}),
  });
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(plane[0], plane[1]), material);
  mesh.name = name;
  return { canvas, texture, mesh };
}

/**
 * The first board anchor of the venue that shows `shows`, with its node in the scene; null
 * where there is none, or the model has no node for it.
 * @param {THREE.Object3D} scene
 * @param {{anchors: {id: string, kind: string, shows?: string, size?: [number, number]}[]}} venue
 * @param {string} shows
 */
export function boardAnchor(scene, venue, shows) {
  const anchor = venue.anchors.find((a) => a.kind === "board" && a.shows === shows);
  const node = anchor ? anchorNodes(scene).get(anchor.id) : undefined;
  return anchor && node ? { anchor, node } : null;
}

/**
 * A canvas on a board's face, added to the board's node: of the board's size (metres) at
 * pixelsPerMetre, shown inside its frame (96 % of its width, 92 % of its height) just in
 * front of it.
 * @param {THREE.Object3D} node
 * @param {[number, number]} size
 * @param {{pixelsPerMetre: number, name: string}} options
 */
export function boardFace(node, [w, h], { pixelsPerMetre, name }) {
  const face = canvasFace([w, h], { pixelsPerMetre, plane: [w * 0.96, h * 0.92], name });
  face.mesh.position.set(0, 0, 0.03);
  node.add(face.mesh);
  return face;
}
