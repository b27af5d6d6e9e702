/* libtiff_bench: the anchor for Faxhaven's codec benchmark. Codes the
 * given PBM pages with libtiff's CCITT Group 4 and Group 3 2-D coders N
 * times in memory, decodes them N times, and prints, like the Go side,
 * "page op pages-per-cpu-second best-pages-per-cpu-second bytes", the best
 * rate being that of the fastest single repetition.
 * Build: gcc -O2 -o libtiff_bench bench.c -ltiff */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tiffio.h>

typedef struct {
	unsigned char *buf;
	toff_t size, cap, pos;
} memfile;

static tmsize_t mem_read(thandle_t h, void *p, tmsize_t n) {
	memfile *m = h;
	if (m->pos >= m->size) return 0;
	if ((toff_t)n > m->size - m->pos) n = m->size - m->pos;
	memcpy(p, m->buf + m->pos, n);
	m->pos += n;
	return n;
}

static tmsize_t mem_write(thandle_t h, void *p, tmsize_t n) {
	memfile *m = h;
	if (m->pos + n > m->cap) {
		m->cap = (m->pos + n) * 2;
		m->buf = realloc(m->buf, m->cap);
	}
	memcpy(m->buf + m->pos, p, n);
	m->pos += n;
	if (m->pos > m->size) m->size = m->pos;
	return n;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence) {
	memfile *m = h;
	if (whence == SEEK_CUR) off += m->pos;
	else if (whence == SEEK_END) off += m->size;
	m->pos = off;
	return off;
}

static int mem_close(thandle_t h) { (void)h; return 0; }
static toff_t mem_size(thandle_t h) { return ((memfile *)h)->size; }
static int mem_map(thandle_t h, void **base, toff_t *size) { (void)h; (void)base; (void)size; return 0; }
static void mem_unmap(thandle_t h, void *base, toff_t size) { (void)h; (void)base; (void)size; }

static double cpu_now(void) { return (double)clock() / CLOCKS_PER_SEC; }

static unsigned char *read_pbm(const char *path, int *w, int *h) {
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(1); }
	if (fscanf(f, "P4 %d %d", w, h) != 2) { fprintf(stderr, "%s: not a raw PBM\n", path); exit(1); }
	fgetc(f);
	size_t n = (size_t)((*w + 7) / 8) * *h;
	unsigned char *bits = malloc(n);
	if (fread(bits, 1, n, f) != n) { fprintf(stderr, "%s: short PBM\n", path); exit(1); }
	fclose(f);
	return bits;
}

static void encode(memfile *m, unsigned char *bits, int w, int h, int comp, int opts) {
	m->size = m->pos = 0;
	TIFF *t = TIFFClientOpen("mem", "w", m, mem_read, mem_write, mem_seek, mem_close, mem_size, mem_map, mem_unmap);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(t, TIFFTAG_COMPRESSION, comp);
	if (comp == COMPRESSION_CCITTFAX3) TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, opts);
	if (TIFFWriteEncodedStrip(t, 0, bits, (tmsize_t)((w + 7) / 8) * h) < 0) { fprintf(stderr, "encode failed\n"); exit(1); }
	TIFFClose(t);
}

static void decode(memfile *m, unsigned char *out, int w, int h) {
	m->pos = 0;
	TIFF *t = TIFFClientOpen("mem", "r", m, mem_read, mem_write, mem_seek, mem_close, mem_size, mem_map, mem_unmap);
	if (!t || TIFFReadEncodedStrip(t, 0, out, (tmsize_t)((w + 7) / 8) * h) < 0) { fprintf(stderr, "decode failed\n"); exit(1); }
	TIFFClose(t);
}

int main(int argc, char **argv) {
	if (argc < 3) { fprintf(stderr, "usage: libtiff_bench N name=file.pbm...\n"); return 2; }
	int n = atoi(argv[1]);
	TIFFSetWarningHandler(NULL);
	for (int a = 2; a < argc; a++) {
		char *name = argv[a], *path = strchr(name, '=');
		*path++ = 0;
		int w, h;
		unsigned char *bits = read_pbm(path, &w, &h);
		unsigned char *out = malloc((size_t)((w + 7) / 8) * h);
		struct { const char *name; int comp, opts; } codings[] = {
			{"mmr", COMPRESSION_CCITTFAX4, 0},
			{"mr", COMPRESSION_CCITTFAX3, GROUP3OPT_2DENCODING},
		};
		for (int c = 0; c < 2; c++) {
			memfile m = {0};
			double total = 0, best = 1e9;
			for (int i = 0; i < n; i++) {
				double c0 = cpu_now();
				encode(&m, bits, w, h, codings[c].comp, codings[c].opts);
				double d = cpu_now() - c0;
				total += d;
				if (d < best) best = d;
			}
			printf("%s encode-%s %.1f %.1f %lu\n", name, codings[c].name, n / total, 1 / best, (unsigned long)m.size);
			total = 0, best = 1e9;
			for (int i = 0; i < n; i++) {
				double c0 = cpu_now();
				decode(&m, out, w, h);
				double d = cpu_now() - c0;
				total += d;
				if (d < best) best = d;
			}
			if (memcmp(out, bits, (size_t)((w + 7) / 8) * h) != 0) { fprintf(stderr, "%s: libtiff round trip differs\n", name); return 1; }
			printf("%s decode-%s %.1f %.1f %lu\n", name, codings[c].name, n / total, 1 / best, (unsigned long)m.size);
			free(m.buf);
		}
		free(bits);
		free(out);
	}
	return 0;
}
