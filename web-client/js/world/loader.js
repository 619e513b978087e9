/**
 * Loading the hub model: fetch the .glb as a stream to report real byte progress, then
 * parse it with three.js's GLTFLoader (meshopt-compressed geometry supported).
 */

import { TextureLoader } from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { MeshoptDecoder } from "three/addons/libs/meshopt_decoder.module.js";

/**
 * Fetch url into one ArrayBuffer, calling onProgress(loaded, total) as bytes arrive.
 * total comes from Content-Length (or expectedBytes when the header is missing or counts
 * compressed bytes; 0 if unknown).
 */
export async function fetchWithProgress(url, onProgress, expectedBytes = 0) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      if (body?.error?.message) message = body.error.message;
    } catch {
      // the status line is all there is
    }
    throw new Error(message);
  }
  // A packed (gzip) model: Content-Length counts the packed bytes, the stream the unpacked.
  const packed = Boolean(response.headers.get("Content-Encoding"));
  const header = packed ? 0 : Number(response.headers.get("Content-Length"));
  const total = Number.isFinite(header) && header > 0 ? header : expectedBytes;
  if (!response.body) {
    const buffer = await response.arrayBuffer();
    onProgress(buffer.byteLength, total || buffer.byteLength);
    return buffer;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}

/** Parse .glb bytes into a three.js glTF result ({scene, parser, ...}). */
export function parseGlb(buffer) {
  const loader = new GLTFLoader();
  loader.setMeshoptDecoder(MeshoptDecoder);
  // Embedded textures become blob: URLs. GLTFLoader's default image path fetches them,
  // which the page's Content-Security-Policy (connect-src) rightly refuses; decoding them
  // as <img> (img-src allows blob:) needs no exception in the policy.
  loader.register((parser) => {
    parser.textureLoader = new TextureLoader(parser.options.manager);
    return { name: "hubtwin_image_elements" };
  });
  return new Promise((resolve, reject) => {
    loader.parse(buffer, "/world/", resolve, (error) =>
      reject(error instanceof Error ? error : new Error(String(error))),
    );
  });
}
