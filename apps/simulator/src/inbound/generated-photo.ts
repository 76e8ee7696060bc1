import { randomInt } from 'node:crypto';

/**
 * A small real JPEG standing in for a citizen's photo when a test gives no bytes: 64x48 pixels
 * of flat 8x8 blocks (grey "asphalt" with a dark "pothole" and random noise, so every photo has
 * its own hash). Only DC coefficients are coded, which keeps the baseline encoder tiny.
 */
export function generatePhoto(width = 64, height = 48): Buffer {
  const blocksX = Math.ceil(width / 8);
  const blocksY = Math.ceil(height / 8);
  const writer = new BitWriter();
  const previous = [0, 0, 0];
  for (let by = 0; by < blocksY; by += 1) {
    for (let bx = 0; bx < blocksX; bx += 1) {
      const [r, g, b] = blockColour(bx, by, blocksX, blocksY);
      const ycc = [0.299 * r + 0.587 * g + 0.114 * b, -0.1687 * r - 0.3313 * g + 0.5 * b + 128, 0.5 * r - 0.4187 * g - 0.0813 * b + 128];
      ycc.forEach((value, component) => {
        // A flat block's DC coefficient is 8 * (value - 128); the quantisation table is all ones.
        const dc = Math.round(8 * (value - 128));
        writer.writeDc(dc - previous[component]);
        previous[component] = dc;
        writer.writeBits(0b0, 1); // end of block: no AC coefficients
      });
    }
  }
  const scan = writer.finish();
  const segment = (marker: number, payload: number[]): number[] => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    ...segment(0xc0, [0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]),
    ...segment(0xc4, [0x00, ...DC_BITS, ...DC_VALUES]),
    ...segment(0xc4, [0x10, 0x01, ...new Array<number>(15).fill(0), 0x00]),
    ...segment(0xda, [0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x3f, 0x00]),
    ...scan,
    0xff,
    0xd9,
  ]);
}

function blockColour(bx: number, by: number, blocksX: number, blocksY: number): [number, number, number] {
  const dx = (bx + 0.5) / blocksX - 0.5;
  const dy = (by + 0.5) / blocksY - 0.55;
  const noise = randomInt(-14, 15);
  const base = Math.sqrt(dx * dx * 1.6 + dy * dy * 2.4) < 0.3 ? 55 : 128;
  const v = Math.max(0, Math.min(255, base + noise));
  return [v, v, Math.max(0, Math.min(255, v + 6))];
}

/** JPEG Annex K luminance DC table: code lengths, then the categories 0-11 in code order. */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

const DC_CODES: { code: number; length: number }[] = (() => {
  const codes: { code: number; length: number }[] = [];
  let code = 0;
  let k = 0;
  DC_BITS.forEach((count, i) => {
    for (let n = 0; n < count; n += 1) {
      codes[DC_VALUES[k]] = { code, length: i + 1 };
      code += 1;
      k += 1;
    }
    code <<= 1;
  });
  return codes;
})();

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private filled = 0;

  writeBits(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i -= 1) {
      this.current = (this.current << 1) | ((value >> i) & 1);
      this.filled += 1;
      if (this.filled === 8) this.flushByte();
    }
  }

  writeDc(diff: number): void {
    const magnitude = Math.abs(diff);
    const category = magnitude === 0 ? 0 : Math.floor(Math.log2(magnitude)) + 1;
    const { code, length } = DC_CODES[category];
    this.writeBits(code, length);
    // Negative values are written as their one's complement in `category` bits.
    if (category > 0) this.writeBits(diff < 0 ? diff + (1 << category) - 1 : diff, category);
  }

  finish(): number[] {
    while (this.filled !== 0) this.writeBits(1, 1);
    return this.bytes;
  }

  private flushByte(): void {
    this.bytes.push(this.current);
    // 0xFF in entropy-coded data is followed by a stuffed zero byte.
    if (this.current === 0xff) this.bytes.push(0x00);
    this.current = 0;
    this.filled = 0;
  }
}
