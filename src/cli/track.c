/*
 * track.c — `lorat track`: follow an object through a video, a frame folder or a benchmark
 * sequence from a first box, writing one box per frame and optionally an annotated video.
 *
 * Boxes are kept in memory and written atomically at the end — also when a frame fails in the
 * middle, so the boxes already computed are never lost.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "data/datasets.h"
#include "io/image.h"
#include "io/video.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "track/tracker.h"

static const char *usage =
    "lorat track --model M.safetensors (--video FILE | --frames DIR | --sequence DIR [--dataset NAME])\n"
    "            [--init x,y,w,h] [--out boxes.txt] [--render OUT.mp4|OUT.avi|OUT.mkv|DIR]\n"
    "            [--threads N] [--profile] [--quiet] [--size-update A] [--size-gate C]\n"
    "            [--box-average R] [--window-influence W] [--precision fp32|bf16|int8]\n"
    "  --sequence  a benchmark sequence folder (LaSOT, LaSOT_ext, GOT-10k, TrackingNet, OTB,\n"
    "              TNL2K, lorat synth's custom layout), read by `lorat eval`'s reader: the same\n"
    "              frames, and its first ground-truth box as the default --init\n"
    "  --dataset   the layout of --sequence (lasot, lasot_ext, got10k, trackingnet, otb, tnl2k,\n"
    "              custom); default: recognised from the folder as the dataset readers do\n"
    "  --out       one x,y,w,h line per frame, the first being the init box\n"
    "  --render    frames with the box, confidence and frame number: a video, or JPEGs in DIR\n"
    "  --profile   time per frame of decoding, cropping, the network and post-processing\n"
    CLI_TRACKING_USAGE CLI_PRECISION_USAGE;

/* Frames from a video or from a list of image files. */
typedef struct frame_source {
    video_reader *video;
    char **paths;
    int count, next;
    const char *name;
} frame_source;

static lorat_status source_next(frame_source *s, image *img, int *eof, char *what, size_t what_size,
                                lorat_error *err) {
    if (s->video) {
        snprintf(what, what_size, "%s frame %d", s->name, s->next);
        s->next++;
        return video_read(s->video, img, eof, err);
    }
    if (s->next >= s->count) {
        *eof = 1;
        return LORAT_STATUS_OK;
    }
    *eof = 0;
    snprintf(what, what_size, "frame %d (%s)", s->next, s->paths[s->next]);
    return image_read(s->paths[s->next++], img, err);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* A benchmark sequence folder through the dataset readers, exactly as `lorat eval` reads it: its
 * frame paths (into *paths, one allocation) and its first box (the runner's conversion, so the
 * tracker starts from the same floats). kind: the layout, or NULL to recognise it. */
static lorat_status open_sequence(const char *dir, const dataset_kind *kind, int quiet,
                                  char ***paths, int *count, lorat_box *first,
                                  lorat_error *err) {
    dataset ds;
    lorat_status st = dataset_open_sequence(&ds, dir, kind, NULL, err);
    if (st) return st;
    if (ds.count > 1 && !quiet)
        fprintf(stderr,
                "lorat track: %s holds %d targets (%s, %s%s); tracking %s (give --init for "
                "another)\n",
                dir, ds.count, ds.seqs[0].name, ds.seqs[1].name, ds.count > 2 ? ", ..." : "",
                ds.seqs[0].name);
    dataset_sequence seq;
    st = dataset_load(&ds, 0, DATASET_LOAD_FRAMES, &seq, err);
    if (!st) {
        *first = (lorat_box){(float)seq.init[0], (float)seq.init[1],
                             (float)(seq.init[2] - seq.init[0]), (float)(seq.init[3] - seq.init[1])};
        *paths = seq.frame_paths;
        *count = seq.frames;
        seq.frame_paths = NULL;
        dataset_sequence_free(&seq);
    }
    dataset_free(&ds);
    return st;
}

static lorat_status write_boxes(const char *path, const lorat_box *boxes, int n, lorat_error *err) {
    /* Each line measured before it is written: a box's digits are not bounded by anything but
     * the float format (an init box of 1e30 prints 36 digits a value). */
    size_t cap = 1, len = 0;
    for (int i = 0; i < n; i++) {
        const int w = snprintf(NULL, 0, "%.4f,%.4f,%.4f,%.4f\n", boxes[i].x, boxes[i].y, boxes[i].w,
                               boxes[i].h);
        if (w < 0) return err_set(err, LORAT_STATUS_INTERNAL, "%s: cannot format box %d", path, i + 1);
        cap += (size_t)w;
    }
    char *text = malloc(cap);
    if (!text) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%.4f,%.4f,%.4f,%.4f\n", boxes[i].x, boxes[i].y,
                                boxes[i].w, boxes[i].h);
    const void *parts[1] = {text};
    lorat_status st = file_write_atomic(path, parts, &len, 1, err);
    free(text);
    return st;
}

/* Draws the box, the frame number and the confidence onto a frame for --render. */
static void annotate(image *img, const lorat_box *b, int frame, float conf, int init) {
    uint32_t colour = init ? 0xFFD700 : 0x00FF40;
    int thick = img->w >= 640 ? 3 : 2;
    image_draw_rect(img, b->x, b->y, b->w, b->h, thick, colour);
    char text[64];
    if (init)
        snprintf(text, sizeof text, "#%d init", frame);
    else
        snprintf(text, sizeof text, "#%d %.2f", frame, conf);
    int scale = img->w >= 640 ? 3 : 2;
    image_fill_rect(img, 0, 0, (int)strlen(text) * 6 * scale + 4 * scale, 9 * scale, 0x000000);
    image_draw_text(img, 2 * scale, scale, text, scale, 0xFFFFFF);
}

int cli_track(int argc, char **argv) {
    const char *model_path = NULL, *video = NULL, *frames = NULL, *sequence = NULL, *init_s = NULL;
    const char *out_path = NULL, *render = NULL, *threads_s = NULL, *precision_s = NULL;
    const char *dataset_s = NULL;
    int profile = 0, quiet = 0;
    cli_tracking tracking = {0};
    for (int i = 0; i < argc; i++) {
        if (cli_tracking_opt(argc, argv, &i, &tracking) || cli_opt(argc, argv, &i, "--model", &model_path) || cli_opt(argc, argv, &i, "--video", &video) ||
            cli_opt(argc, argv, &i, "--frames", &frames) || cli_opt(argc, argv, &i, "--sequence", &sequence) ||
            cli_opt(argc, argv, &i, "--init", &init_s) || cli_opt(argc, argv, &i, "--out", &out_path) ||
            cli_opt(argc, argv, &i, "--render", &render) || cli_opt(argc, argv, &i, "--threads", &threads_s) ||
            cli_opt(argc, argv, &i, "--precision", &precision_s) || cli_opt(argc, argv, &i, "--dataset", &dataset_s))
            continue;
        if (cli_flag(argv, i, "--profile")) profile = 1;
        else if (cli_flag(argv, i, "--quiet")) quiet = 1;
        else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) { printf("usage: %s\n", usage); return 0; }
        else return cli_usage_error("track", usage, "unknown argument '%s'", argv[i]);
    }
    if (!model_path) return cli_usage_error("track", usage, "--model is required");
    if (!!video + !!frames + !!sequence != 1)
        return cli_usage_error("track", usage, "give exactly one of --video, --frames and --sequence");
    int threads = 0;
    if (threads_s && !cli_parse_threads(threads_s, &threads))
        return cli_usage_error("track", usage, "--threads '%s' is not a number in 1..%d", threads_s,
                               CLI_MAX_THREADS);
    dataset_kind layout;
    lorat_error perr = {0};
    if (dataset_s && !sequence)
        return cli_usage_error("track", usage, "--dataset names the layout of --sequence");
    if (dataset_s && dataset_kind_parse(dataset_s, &layout, &perr))
        return cli_usage_error("track", usage, "%s", perr.message);
    lorat_precision prec;
    if (!cli_parse_precision(precision_s, &prec))
        return cli_usage_error("track", usage, "--precision '%s' is not fp32, bf16 or int8", precision_s);
    kernels_set_threads(threads);

    lorat_box init = {0, 0, 0, 0};
    int have_init = 0;
    if (init_s) {
        if (!cli_parse_box(init_s, &init))
            return cli_usage_error("track", usage, "--init '%s' is not x,y,w,h", init_s);
        have_init = 1;
    }

    lorat_error err = {0};
    frame_source src = {0};
    lorat_model *model = NULL;
    lorat_tracker *tracker = NULL;
    video_writer *vw = NULL;
    image img = {0};
    lorat_box *boxes = NULL;
    int n_boxes = 0, cap = 0, rc = 1, write_out = 0;
    char what[4608] = "";

    if (video) {
        src.name = video;
        if (video_open(video, &src.video, &err)) goto done;
    } else if (sequence) {
        lorat_box first;
        src.name = sequence;
        if (open_sequence(sequence, dataset_s ? &layout : NULL, quiet, &src.paths, &src.count, &first, &err))
            goto done;
        if (!have_init) init = first;
        have_init = 1;
    } else {
        src.name = frames;
        if (image_list_dir(frames, &src.paths, &src.count, &err)) goto done;
    }
    if (!have_init) {
        rc = cli_usage_error("track", usage, "--init x,y,w,h is required with --video and --frames");
        goto cleanup;
    }
    if (lorat_model_load(model_path, &model, &err)) goto done;
    if ((rc = cli_tracking_apply(&tracking, &model->cfg, "track", usage))) goto cleanup;
    if ((rc = cli_set_precision("track", model, prec, quiet))) goto cleanup;
    rc = 1;
    if (lorat_tracker_create(model, NULL, &tracker, &err)) goto done;

    const int total = src.video ? (int)video_frame_count(src.video) : src.count;
    double t_decode = 0, t_render = 0, t_start = omp_get_wtime(), t_last = 0;
    for (int f = 0;; f++) {
        int eof = 0;
        double t0 = omp_get_wtime();
        if (source_next(&src, &img, &eof, what, sizeof what, &err)) goto done;
        t_decode += omp_get_wtime() - t0;
        if (eof) break;
        lorat_image view = {img.w, img.h, 3 * img.w, img.data};
        lorat_box box;
        float conf = 1.0f;
        if (f == 0) {
            if (lorat_tracker_init(tracker, &view, init, &err)) goto done;
            box = init;
        } else if (lorat_tracker_update(tracker, &view, &box, &conf, &err)) {
            goto done;
        }
        write_out = 1;
        if (n_boxes == cap) {
            if (cap >= (1 << 28)) { /* 268 million frames: days of video at 1000 fps */
                err_set(&err, LORAT_STATUS_UNSUPPORTED, "frame %d: more frames than lorat track keeps boxes for (%d)", f,
                        1 << 28);
                goto done;
            }
            cap = cap ? 2 * cap : 256;
            lorat_box *nb = realloc(boxes, sizeof *boxes * cap);
            if (!nb) { err_set(&err, LORAT_STATUS_NO_MEMORY, "out of memory at frame %d", f); goto done; }
            boxes = nb;
        }
        boxes[n_boxes++] = box;
        if (render) {
            double t1 = omp_get_wtime();
            annotate(&img, &box, f, conf, f == 0);
            if (ends_with(render, ".mp4") || ends_with(render, ".avi") || ends_with(render, ".mkv")) {
                if (!vw) {
                    double fps = src.video && video_fps(src.video) > 0 ? video_fps(src.video) : 25.0;
                    if (video_writer_open(render, img.w, img.h, fps, &vw, &err)) goto done;
                }
                if (video_write(vw, &img, &err)) goto done;
            } else {
                char path[4608];
                if (f == 0 && mkdir(render, 0777) != 0 && errno != EEXIST) {
                    err_set(&err, LORAT_STATUS_IO, "%s: cannot create the render folder: %s", render, strerror(errno));
                    goto done;
                }
                snprintf(path, sizeof path, "%s/%08d.jpg", render, f + 1);
                if (image_write_jpeg(path, &img, 90, &err)) goto done;
            }
            t_render += omp_get_wtime() - t1;
        }
        double now = omp_get_wtime();
        if (!quiet && (now - t_last > 0.5 || (total > 0 && f + 1 == total))) {
            t_last = now;
            fprintf(stderr, "\rlorat track: frame %d%s%.0d, %.1f fps   ", f + 1, total > 0 ? "/" : "", total > 0 ? total : 0,
                    (f + 1) / (now - t_start));
        }
    }
    if (!quiet) fprintf(stderr, "\n");
    if (n_boxes == 0) {
        err_set(&err, LORAT_STATUS_BAD_INPUT, "%s: no frames", src.name);
        goto done;
    }
    if (vw) {
        lorat_status st = video_writer_close(vw, 0, &err);
        vw = NULL;
        if (st) goto done;
    }
    if (profile) {
        const tracker_times *tt = tracker_get_times(tracker);
        int u = tt->updates > 0 ? tt->updates : 1;
        double own = t_decode / n_boxes + tt->crop / u + tt->post / u, net = tt->model / u;
        char render_part[64] = "";
        if (render) snprintf(render_part, sizeof render_part, ", render %.2f ms", 1e3 * t_render / n_boxes);
        fprintf(stderr,
                "lorat track: per frame: decode %.2f ms, crop %.2f ms, network %.2f ms, post %.3f ms%s\n"
                "             the tracker's own work (decode + crop + post) is %.1f%% of the network's time\n",
                1e3 * t_decode / n_boxes, 1e3 * tt->crop / u, 1e3 * net, 1e3 * tt->post / u, render_part,
                net > 0 ? 100.0 * own / net : 0.0);
    }
    rc = 0;
done:
    if (rc) {
        if (what[0] && err.message[0] && !strstr(err.message, what) && n_boxes > 0)
            fprintf(stderr, "\nlorat track: at %s: %s\n", what, err.message);
        else
            fprintf(stderr, "\nlorat track: %s\n", err.message);
    }
    if (vw) video_writer_close(vw, rc != 0 && n_boxes == 0, NULL);
    if (out_path && write_out) {
        lorat_error werr = {0};
        if (write_boxes(out_path, boxes, n_boxes, &werr)) {
            fprintf(stderr, "lorat track: %s\n", werr.message);
            rc = 1;
        } else if (rc) {
            fprintf(stderr, "lorat track: the %d boxes computed before the error are in %s\n", n_boxes, out_path);
        }
    }
cleanup:
    free(boxes);
    image_free(&img);
    free(src.paths);
    if (src.video) video_close(src.video);
    lorat_tracker_free(tracker);
    lorat_model_free(model);
    return rc;
}
