/*
 * Faxhaven SpanDSP test peer.
 *
 * A small program around SpanDSP's T.38 terminal, used only by Faxhaven's
 * tests as an independent T.38 implementation. It is built by the Go test
 * helper in this directory with gcc and -lspandsp -ltiff -lm; it is never
 * part of the product.
 *
 * Commands:
 *   peer make OUT.tif PAGES        write a test document (1728 px, fine)
 *   peer compare A.tif B.tif       compare two documents pixel for pixel
 *   peer run [options]             run a T.38 terminal for one call
 *   peer bench N                   time N IFP encodes and N decodes
 *                                  (a 54-byte V.17 non-ECM data packet)
 *
 * Run options:
 *   -role send|recv   -file F.tif   -ecm 0|1   -rate 14400|9600|4800
 *   -compress LIST (1d,2d,t6)       -version 0..3   -ident ID
 *   -transport lockstep|udp         -local IP:PORT  -remote IP:PORT
 *   -redundancy N (UDP mode)        -timeout SECONDS (UDP mode)
 *   -indicators N (indicator repeat count)   -verbose
 *
 * Lockstep transport (stdin/stdout, virtual time). Every message is one
 * byte of type, four bytes of big-endian payload length, the payload.
 *   to the peer:   'A' u32 samples      advance time
 *                  'P' u16 seq, IFP     an IFP packet received
 *                  'Q'                  end the call and report
 *   from the peer: 'T' u8 count, IFP    an IFP packet to send count times
 *                  'K' u8 done          the command is finished; done=1
 *                                       once T.30 has reached phase E
 *                  'R' JSON             the result, then the peer exits
 *
 * UDP transport (real time): UDPTL with redundancy over a UDP socket,
 * time advanced on a 20 ms tick; the JSON result goes to stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <tiffio.h>
#include <spandsp.h>

#define SAMPLES_PER_TICK 160 /* 20 ms at 8000 samples/s */

struct opts {
    int sender;
    const char *file;
    int ecm;
    int rate;
    int compress;
    int version;
    const char *ident;
    int lockstep;
    const char *local;
    const char *remote;
    int redundancy;
    int timeout;
    int indicators;
    int verbose;
};

static int call_done;
static int completion = -1;

/* ---- lockstep framing ---- */

static void die(const char *msg)
{
    fprintf(stderr, "peer: %s\n", msg);
    exit(2);
}

static void put_msg(int type, const uint8_t *a, int alen, const uint8_t *b, int blen)
{
    uint8_t hdr[5];
    uint32_t n = (uint32_t) (alen + blen);

    hdr[0] = (uint8_t) type;
    hdr[1] = n >> 24;
    hdr[2] = n >> 16;
    hdr[3] = n >> 8;
    hdr[4] = n;
    if (fwrite(hdr, 1, 5, stdout) != 5
        || (alen && fwrite(a, 1, alen, stdout) != (size_t) alen)
        || (blen && fwrite(b, 1, blen, stdout) != (size_t) blen))
        die("write to stdout failed");
}

static int get_msg(uint8_t *buf, int size, int *len)
{
    uint8_t hdr[5];
    uint32_t n;

    if (fread(hdr, 1, 5, stdin) != 5)
        return -1;
    n = (uint32_t) hdr[1] << 24 | (uint32_t) hdr[2] << 16 | (uint32_t) hdr[3] << 8 | hdr[4];
    if (n > (uint32_t) size)
        die("oversized message from driver");
    if (n && fread(buf, 1, n, stdin) != n)
        return -1;
    *len = (int) n;
    return hdr[0];
}

/* ---- minimal UDPTL with redundancy, for the UDP transport ---- */

#define HIST 16

struct udptl {
    int fd;
    struct sockaddr_in remote;
    int depth;
    uint16_t tx_seq;
    uint8_t tx_hist[HIST][512];
    int tx_len[HIST];
    int rx_started;
    uint16_t rx_next;
};

static int put_len(uint8_t *p, int n)
{
    if (n < 128) {
        p[0] = (uint8_t) n;
        return 1;
    }
    p[0] = (uint8_t) (0x80 | (n >> 8));
    p[1] = (uint8_t) n;
    return 2;
}

static int get_len(const uint8_t *p, int len, int *pos, int *n)
{
    if (*pos >= len)
        return -1;
    if ((p[*pos] & 0x80) == 0) {
        *n = p[(*pos)++];
        return 0;
    }
    if ((p[*pos] & 0xC0) != 0x80 || *pos + 1 >= len)
        return -1;
    *n = (p[*pos] & 0x3F) << 8 | p[*pos + 1];
    *pos += 2;
    return 0;
}

static void udptl_send(struct udptl *u, const uint8_t *ifp, int len)
{
    uint8_t dg[4096];
    int n = 0;
    int i;
    int entries;
    int slot = u->tx_seq % HIST;

    if (len > 512)
        die("IFP packet too long for the UDPTL history");
    dg[n++] = u->tx_seq >> 8;
    dg[n++] = u->tx_seq & 0xFF;
    n += put_len(dg + n, len);
    memcpy(dg + n, ifp, len);
    n += len;
    dg[n++] = 0x00; /* secondary-ifp-packets */
    entries = u->depth < u->tx_seq ? u->depth : u->tx_seq;
    n += put_len(dg + n, entries);
    for (i = 1; i <= entries; i++) {
        int s = (u->tx_seq - i + HIST) % HIST;
        n += put_len(dg + n, u->tx_len[s]);
        memcpy(dg + n, u->tx_hist[s], u->tx_len[s]);
        n += u->tx_len[s];
    }
    memcpy(u->tx_hist[slot], ifp, len);
    u->tx_len[slot] = len;
    u->tx_seq++;
    sendto(u->fd, dg, n, 0, (struct sockaddr *) &u->remote, sizeof(u->remote));
}

/* udptl_receive hands the IFP packets of a datagram to the T.38 core in
   sequence: missing ones from the secondaries first, then the primary. */
static void udptl_receive(struct udptl *u, t38_core_state_t *core, const uint8_t *dg, int len)
{
    const uint8_t *prim;
    const uint8_t *sec[HIST];
    int sec_len[HIST];
    int plen;
    int pos = 2;
    int count = 0;
    int i;
    uint16_t seq;

    if (len < 4)
        return;
    seq = (uint16_t) (dg[0] << 8 | dg[1]);
    if (get_len(dg, len, &pos, &plen) || plen < 1 || pos + plen > len)
        return;
    prim = dg + pos;
    pos += plen;
    if (pos < len && dg[pos] == 0x00) {
        pos++;
        if (get_len(dg, len, &pos, &count))
            return;
        for (i = 0; i < count; i++) {
            int sl;
            if (get_len(dg, len, &pos, &sl) || pos + sl > len)
                return;
            if (i < HIST) {
                sec[i] = dg + pos;
                sec_len[i] = sl;
            }
            pos += sl;
        }
        if (count > HIST)
            count = HIST;
    } else {
        count = 0; /* FEC is not read here */
    }
    if (!u->rx_started) {
        u->rx_started = 1;
        u->rx_next = seq;
    }
    if ((int16_t) (seq - u->rx_next) < 0)
        return; /* duplicate or late */
    for (i = count; i >= 1; i--) {
        uint16_t s = (uint16_t) (seq - i);
        if ((int16_t) (s - u->rx_next) >= 0)
            t38_core_rx_ifp_packet(core, sec[i - 1], sec_len[i - 1], s);
    }
    t38_core_rx_ifp_packet(core, prim, plen, seq);
    u->rx_next = (uint16_t) (seq + 1);
}

/* ---- T.38 terminal glue ---- */

static struct udptl net;
static int lockstep;

static int tx_packet(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
    int i;

    if (lockstep) {
        uint8_t c = (uint8_t) count;
        put_msg('T', &c, 1, buf, len);
        return 0;
    }
    for (i = 0; i < count; i++)
        udptl_send(&net, buf, len);
    return 0;
}

static void phase_e(t30_state_t *s, void *user_data, int result)
{
    completion = result;
    call_done = 1;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char) *s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void write_result(FILE *f, t30_state_t *t30)
{
    t30_stats_t st;

    t30_get_transfer_statistics(t30, &st);
    fprintf(f, "{\"done\":%s,\"code\":%d,\"text\":", call_done ? "true" : "false", completion);
    json_string(f, completion >= 0 ? t30_completion_code_to_str(completion) : "call did not finish");
    fprintf(f, ",\"pages_tx\":%d,\"pages_rx\":%d,\"bit_rate\":%d,\"encoding\":%d,\"ecm\":%s,\"remote_id\":",
            st.pages_tx, st.pages_rx, st.bit_rate, st.encoding, st.error_correcting_mode ? "true" : "false");
    json_string(f, t30_get_rx_ident(t30));
    fprintf(f, "}\n");
}

/* report sends the result line: as an 'R' message in lockstep mode, else
   on stdout. */
static void report(t30_state_t *t30)
{
    if (lockstep) {
        char *buf = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&buf, &n);

        write_result(m, t30);
        fclose(m);
        put_msg('R', (uint8_t *) buf, (int) n, NULL, 0);
        free(buf);
    } else {
        write_result(stdout, t30);
    }
    fflush(stdout);
}

static void parse_addr(const char *s, struct sockaddr_in *a)
{
    char host[64];
    const char *colon = strrchr(s, ':');

    if (!colon || colon - s >= (int) sizeof(host))
        die("address must be IP:PORT");
    memcpy(host, s, colon - s);
    host[colon - s] = 0;
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons(atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        die("bad IPv4 address");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(const struct opts *o)
{
    t38_terminal_state_t *t38;
    t30_state_t *t30;
    t38_core_state_t *core;
    int modems;

    lockstep = o->lockstep;
    t38 = t38_terminal_init(NULL, o->sender, tx_packet, NULL);
    if (t38 == NULL)
        die("t38_terminal_init failed");
    t30 = t38_terminal_get_t30_state(t38);
    core = t38_terminal_get_t38_core_state(t38);
    t38_set_t38_version(core, o->version);
    if (o->indicators >= 0)
        t38_set_redundancy_control(core, T38_PACKET_CATEGORY_INDICATOR, o->indicators);
    if (o->verbose) {
        span_log_set_level(t38_terminal_get_logging_state(t38), SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW);
        span_log_set_level(t30_get_logging_state(t30), SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW);
        span_log_set_level(t38_core_get_logging_state(core), SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW);
    }
    t30_set_tx_ident(t30, o->ident);
    modems = T30_SUPPORT_V27TER;
    if (o->rate >= 9600)
        modems |= T30_SUPPORT_V29;
    if (o->rate >= 14400)
        modems |= T30_SUPPORT_V17;
    t30_set_supported_modems(t30, modems);
    t30_set_ecm_capability(t30, o->ecm);
    t30_set_supported_compressions(t30, o->compress);
    t30_set_phase_e_handler(t30, phase_e, NULL);
    if (o->sender)
        t30_set_tx_file(t30, o->file, -1, -1);
    else
        t30_set_rx_file(t30, o->file, -1);

    if (lockstep) {
        static uint8_t buf[70000];
        int len;
        int type;

        while ((type = get_msg(buf, sizeof(buf), &len)) >= 0) {
            uint8_t done;
            switch (type) {
            case 'A':
                if (len != 4)
                    die("bad advance message");
                t38_terminal_send_timeout(t38, (int) ((uint32_t) buf[0] << 24 | (uint32_t) buf[1] << 16 | (uint32_t) buf[2] << 8 | buf[3]));
                break;
            case 'P':
                if (len < 3)
                    die("bad packet message");
                t38_core_rx_ifp_packet(core, buf + 2, len - 2, (uint16_t) (buf[0] << 8 | buf[1]));
                break;
            case 'Q':
                t30_terminate(t30);
                report(t30);
                t38_terminal_free(t38);
                return 0;
            default:
                die("unknown message type from driver");
            }
            done = (uint8_t) call_done;
            put_msg('K', &done, 1, NULL, 0);
            fflush(stdout);
        }
        die("driver closed stdin");
    } else {
        struct sockaddr_in local;
        double start = now();
        double next = start;
        uint8_t dg[4096];

        net.depth = o->redundancy;
        net.fd = socket(AF_INET, SOCK_DGRAM, 0);
        parse_addr(o->local, &local);
        parse_addr(o->remote, &net.remote);
        if (bind(net.fd, (struct sockaddr *) &local, sizeof(local)) < 0)
            die("bind failed");
        /* Tell the driver the port once bound (useful with port 0). */
        {
            socklen_t sl = sizeof(local);
            getsockname(net.fd, (struct sockaddr *) &local, &sl);
            fprintf(stderr, "peer: listening on port %d\n", ntohs(local.sin_port));
        }
        while (!call_done && now() - start < o->timeout) {
            struct pollfd pfd = {net.fd, POLLIN, 0};
            int wait = (int) ((next - now()) * 1000);
            if (wait < 0)
                wait = 0;
            if (poll(&pfd, 1, wait) > 0) {
                ssize_t n = recv(net.fd, dg, sizeof(dg), 0);
                if (n > 0)
                    udptl_receive(&net, core, dg, (int) n);
            }
            while (now() >= next) {
                t38_terminal_send_timeout(t38, SAMPLES_PER_TICK);
                next += 0.020;
            }
        }
        /* Let the last packets reach the far end before leaving. */
        for (int i = 0; i < 10; i++) {
            t38_terminal_send_timeout(t38, SAMPLES_PER_TICK);
            usleep(20000);
        }
        t30_terminate(t30);
        report(t30);
        t38_terminal_free(t38);
    }
    return call_done && completion == T30_ERR_OK ? 0 : 1;
}

/* ---- test documents ---- */

static uint32_t rng_state;

static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static int make(const char *path, int pages)
{
    const int width = 1728;
    const int rows = 600;
    uint8_t line[1728 / 8];
    TIFF *t = TIFFOpen(path, "w");
    int p;
    int y;

    if (!t)
        die("cannot create TIFF");
    for (p = 0; p < pages; p++) {
        TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, width);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
        TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, 0);
        TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
        TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
        TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0f);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0f);
        TIFFSetField(t, TIFFTAG_PAGENUMBER, p, pages);
        for (y = 0; y < rows; y++) {
            int x;
            memset(line, 0, sizeof(line));
            /* Text-like blocks: lines of "words" with gaps between lines. */
            if ((y / 12) % 3 != 2 && y > 40 && y < rows - 40) {
                /* Same words on every row of a text line. */
                rng_state = 1234567u + (uint32_t) p * 7919u + (uint32_t) (y / 12) * 104729u;
                for (x = 64; x < width - 64; ) {
                    int w = 8 + (int) (rnd() % 60);
                    int i;
                    if ((rnd() & 3) != 0)
                        for (i = x; i < x + w && i < width - 64; i++)
                            line[i >> 3] |= (uint8_t) (0x80 >> (i & 7));
                    x += w + 8 + (int) (rnd() % 24);
                }
            }
            /* A page number bar so pages differ clearly. */
            if (y < 20)
                memset(line, 0, 4 * (p + 1));
            if (TIFFWriteScanline(t, line, y, 0) < 0)
                die("TIFFWriteScanline failed");
        }
        TIFFWriteDirectory(t);
    }
    TIFFClose(t);
    return 0;
}

static int compare(const char *a, const char *b)
{
    TIFF *ta = TIFFOpen(a, "r");
    TIFF *tb = TIFFOpen(b, "r");
    int pages = 0;
    int more_a;
    int more_b;

    if (!ta || !tb) {
        printf("{\"equal\":false,\"pages\":0,\"detail\":\"cannot open\"}\n");
        return 1;
    }
    do {
        uint32_t wa, wb, la, lb, y;
        tsize_t sa, sb;
        uint8_t *ra, *rb;

        TIFFGetField(ta, TIFFTAG_IMAGEWIDTH, &wa);
        TIFFGetField(tb, TIFFTAG_IMAGEWIDTH, &wb);
        TIFFGetField(ta, TIFFTAG_IMAGELENGTH, &la);
        TIFFGetField(tb, TIFFTAG_IMAGELENGTH, &lb);
        if (wa != wb || la != lb) {
            printf("{\"equal\":false,\"pages\":%d,\"detail\":\"page %d is %ux%u vs %ux%u\"}\n", pages, pages + 1, wa, la, wb, lb);
            return 1;
        }
        sa = TIFFScanlineSize(ta);
        sb = TIFFScanlineSize(tb);
        ra = malloc(sa);
        rb = malloc(sb);
        for (y = 0; y < la; y++) {
            if (TIFFReadScanline(ta, ra, y, 0) < 0 || TIFFReadScanline(tb, rb, y, 0) < 0 || sa != sb || memcmp(ra, rb, sa) != 0) {
                printf("{\"equal\":false,\"pages\":%d,\"detail\":\"page %d row %u differs\"}\n", pages, pages + 1, y);
                return 1;
            }
        }
        free(ra);
        free(rb);
        pages++;
        more_a = TIFFReadDirectory(ta);
        more_b = TIFFReadDirectory(tb);
    } while (more_a && more_b);
    if (more_a || more_b) {
        printf("{\"equal\":false,\"pages\":%d,\"detail\":\"page counts differ\"}\n", pages);
        return 1;
    }
    printf("{\"equal\":true,\"pages\":%d,\"detail\":\"\"}\n", pages);
    return 0;
}

/* ---- IFP codec timing, the anchor for Faxhaven's IFP benchmarks ---- */

static uint8_t bench_pkt[256];
static int bench_len;

static int bench_tx(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
    memcpy(bench_pkt, buf, len);
    bench_len = len;
    return 0;
}

static int bench_rx_ind(t38_core_state_t *s, void *user_data, int indicator)
{
    return 0;
}

static int bench_rx_data(t38_core_state_t *s, void *user_data, int data_type, int field_type, const uint8_t *buf, int len)
{
    return 0;
}

static int bench_rx_missing(t38_core_state_t *s, void *user_data, int rx_seq_no, int expected_seq_no)
{
    return 0;
}

static int bench(long n)
{
    t38_core_state_t *tx = t38_core_init(NULL, bench_rx_ind, bench_rx_data, bench_rx_missing, NULL, bench_tx, NULL);
    t38_core_state_t *rx = t38_core_init(NULL, bench_rx_ind, bench_rx_data, bench_rx_missing, NULL, bench_tx, NULL);
    uint8_t data[54];
    double t0, t1, t2;
    long i;

    for (i = 0; i < (long) sizeof(data); i++)
        data[i] = (uint8_t) (i * 37);
    t38_set_t38_version(tx, 2);
    t38_set_t38_version(rx, 2);
    t0 = now();
    for (i = 0; i < n; i++)
        t38_core_send_data(tx, T38_DATA_V17_14400, T38_FIELD_T4_NON_ECM_DATA, data, sizeof(data), T38_PACKET_CATEGORY_IMAGE_DATA);
    t1 = now();
    for (i = 0; i < n; i++)
        t38_core_rx_ifp_packet(rx, bench_pkt, bench_len, (uint16_t) i);
    t2 = now();
    printf("{\"encode_ns\":%.2f,\"decode_ns\":%.2f}\n", (t1 - t0) * 1e9 / n, (t2 - t1) * 1e9 / n);
    return 0;
}

static int parse_compress(const char *s)
{
    int c = 0;
    if (strstr(s, "1d"))
        c |= T30_SUPPORT_T4_1D_COMPRESSION;
    if (strstr(s, "2d"))
        c |= T30_SUPPORT_T4_2D_COMPRESSION;
    if (strstr(s, "t6"))
        c |= T30_SUPPORT_T6_COMPRESSION;
    if (!c)
        die("-compress needs some of 1d,2d,t6");
    return c;
}

int main(int argc, char **argv)
{
    struct opts o = {
        .sender = 1, .ecm = 1, .rate = 14400,
        .compress = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION,
        .version = 0, .ident = "SPANDSP PEER", .lockstep = 1, .local = "127.0.0.1:0",
        .remote = "127.0.0.1:0", .redundancy = 2, .timeout = 120, .indicators = -1,
    };
    int i;

    if (argc >= 4 && strcmp(argv[1], "make") == 0)
        return make(argv[2], atoi(argv[3]));
    if (argc >= 4 && strcmp(argv[1], "compare") == 0)
        return compare(argv[2], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "bench") == 0)
        return bench(atol(argv[2]) > 0 ? atol(argv[2]) : 1);
    if (argc < 2 || strcmp(argv[1], "run") != 0)
        die("usage: peer make|compare|run ...");
    for (i = 2; i < argc; i++) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(k, "-verbose") == 0) {
            o.verbose = 1;
            continue;
        }
        if (!v)
            die("option without a value");
        i++;
        if (strcmp(k, "-role") == 0)
            o.sender = strcmp(v, "send") == 0;
        else if (strcmp(k, "-file") == 0)
            o.file = v;
        else if (strcmp(k, "-ecm") == 0)
            o.ecm = atoi(v);
        else if (strcmp(k, "-rate") == 0)
            o.rate = atoi(v);
        else if (strcmp(k, "-compress") == 0)
            o.compress = parse_compress(v);
        else if (strcmp(k, "-version") == 0)
            o.version = atoi(v);
        else if (strcmp(k, "-ident") == 0)
            o.ident = v;
        else if (strcmp(k, "-transport") == 0)
            o.lockstep = strcmp(v, "udp") != 0;
        else if (strcmp(k, "-local") == 0)
            o.local = v;
        else if (strcmp(k, "-remote") == 0)
            o.remote = v;
        else if (strcmp(k, "-redundancy") == 0)
            o.redundancy = atoi(v);
        else if (strcmp(k, "-timeout") == 0)
            o.timeout = atoi(v);
        else if (strcmp(k, "-indicators") == 0)
            o.indicators = atoi(v);
        else
            die("unknown option");
    }
    if (!o.file)
        die("-file is required");
    return run(&o);
}
