/**
 * Adds a PNG `tEXt` chunk (keyword + Latin-1 text) before IEND, so a downloaded image
 * carries its settings the way AUTOMATIC1111 writes them (keyword "parameters").
 */
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function latin1(text: string): Uint8Array {
  // tEXt is Latin-1; characters outside it become '?' rather than corrupting the chunk.
  return Uint8Array.from(text, (ch) => (ch.charCodeAt(0) < 256 ? ch.charCodeAt(0) : 63));
}

function assertPng(png: Uint8Array): void {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('png: not a PNG file (bad signature)');
}

export function addTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  assertPng(png);
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`png: invalid tEXt keyword "${keyword}"`);
  const body = new Uint8Array([...latin1(keyword), 0, ...latin1(text)]);
  const chunk = new Uint8Array(12 + body.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, body.length);
  chunk.set(latin1('tEXt'), 4);
  chunk.set(body, 8);
  view.setUint32(8 + body.length, crc32(chunk.subarray(4, 8 + body.length)));
  const iend = png.length - 12; // IEND is always the last, empty chunk
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, iend), 0);
  out.set(chunk, iend);
  out.set(png.subarray(iend), iend + chunk.length);
  return out;
}

export function readTextChunks(png: Uint8Array): Record<string, string> {
  assertPng(png);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Record<string, string> = {};
  for (let pos = 8; pos + 12 <= png.length;) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    if (type === 'tEXt') {
      const body = png.subarray(pos + 8, pos + 8 + len);
      const zero = body.indexOf(0);
      out[String.fromCharCode(...body.subarray(0, zero))] = Array.from(body.subarray(zero + 1), (b) => String.fromCharCode(b)).join('');
    }
    pos += 12 + len;
  }
  return out;
}
