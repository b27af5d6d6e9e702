// Decodes the image mask of each page of a PDF with pdf.js and writes it
// to stdout as raw PBM (one image per page, 1 = black), so Faxhaven's tests
// can compare pdf.js's reading of our fax PDFs with our pixels.
// Usage: node pdfjs_mask.mjs <pdfjs-dist directory> <file.pdf>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [dist, file] = process.argv.slice(2);
const pdfjs = await import(pathToFileURL(path.join(dist, "legacy/build/pdf.mjs")).href);
const doc = await pdfjs.getDocument({ data: new Uint8Array(readFileSync(file)), verbosity: 0 }).promise;
for (let n = 1; n <= doc.numPages; n++) {
  const page = await doc.getPage(n);
  const ops = await page.getOperatorList();
  const i = ops.fnArray.indexOf(pdfjs.OPS.paintImageMaskXObject);
  if (i < 0) {
    throw new Error(`page ${n}: no image mask`);
  }
  const img = ops.argsArray[i][0];
  if (typeof img.data === "string") {
    // Large masks are handed over as page objects.
    img.data = (await new Promise((resolve) => page.objs.get(img.data, resolve))).data;
  }
  const stride = (img.width + 7) >> 3;
  const bits = Buffer.from(img.data.buffer, img.data.byteOffset, stride * img.height);
  // pdf.js keeps the samples as decoded: 0 is a painted (black) pixel.
  const out = Buffer.alloc(bits.length);
  for (let k = 0; k < bits.length; k++) out[k] = ~bits[k] & 0xff;
  process.stdout.write(`P4\n${img.width} ${img.height}\n`);
  process.stdout.write(out);
}
