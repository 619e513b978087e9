/**
 * Canvases drawn into the world: the nodes of the hub model's anchors (boards, screens,
 * consulting corners; the glTF extras mark them), and a canvas shown as a texture on a flat
 * plane, what the boards, charts and signs draw on.
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
