/*
 * video.c — reading and writing videos through FFmpeg (libavformat, libavcodec, libswscale); see
 * video.h.
 *
 * Reader: the first video stream that is not cover art, decoded with the send/receive API (the
 * decoder's delayed frames are drained at the end of the file). Each frame is converted to RGB24
 * at its own size by swscale, honouring the frame's colour matrix and range (full-range MJPEG
 * included); swscale writes into an aligned, padded buffer that is then copied row by row into
 * the caller's image, which has no padding.
 *
 * Writer: .mp4 and .mkv → H.264 with libx264 (CRF 23, preset veryfast) when this FFmpeg has it,
 * else MPEG-4 part 2 (qscale 3); .avi → MJPEG (qscale 3, full-range 4:2:0). H.264 and MPEG-4 are
 * written in 4:2:0 and need an even width and height: an odd side is padded by one column or row
 * that repeats the last one, so a 97×63 video is stored as 98×64. MJPEG keeps the exact size.
 * The file is written as "<path>.tmp.<pid>.<ext>" (the extension lets tools recognise it), then
 * fsynced and renamed into place by video_writer_close; an abort or a failure removes it, and so
 * does closing a writer that was given no frame (readers see no video stream in such a file).
 *
 * FFmpeg prints to stderr by default. That is process-wide state and a library should be quiet,
 * so video_open and video_writer_open turn it off (set LORAT_FFMPEG_LOG=1 to see FFmpeg's error
 * messages when debugging); our own messages carry FFmpeg's error text from av_strerror.
 */
#include "io/video.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

/* The same cap as image.c's: 2^28 pixels. */
#define VIDEO_MAX_PIXELS ((int64_t)1 << 28)

static void ffmpeg_quiet(void) {
    av_log_set_level(getenv("LORAT_FFMPEG_LOG") ? AV_LOG_ERROR : AV_LOG_QUIET);
}

typedef struct av_msg {
    char s[AV_ERROR_MAX_STRING_SIZE];
} av_msg;

static av_msg av_text(int code) {
    av_msg m;
    if (av_strerror(code, m.s, sizeof m.s) < 0) snprintf(m.s, sizeof m.s, "error %d", code);
    return m;
}

/* ---- reader ---------------------------------------------------------------------------------- */

struct video_reader {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    int w, h;
    double fps;
    int64_t nb_frames;
    int64_t index; /* frames returned so far: the 0-based number of the next frame */
    int draining;  /* the end of the file has been reached and the decoder told so */
    int done;
    /* conversion to RGB, rebuilt when the frames' size, format or colours change */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt, sws_cs, sws_full;
    uint8_t *rgb[4];
    int rgb_linesize[4];
    int rgb_w, rgb_h;
};

void video_close(video_reader *v) {
    if (!v) return;
    sws_freeContext(v->sws);
    av_freep(&v->rgb[0]);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    free(v->path);
    free(v);
}

lorat_status video_open(const char *path, video_reader **out, lorat_error *err) {
    if (!path || !out) return err_set(err, LORAT_STATUS_BAD_INPUT, "video_open needs a path");
    *out = NULL;
    ffmpeg_quiet();
    video_reader *v = calloc(1, sizeof *v);
    if (!v || !(v->path = strdup(path))) {
        free(v);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    lorat_status s = LORAT_STATUS_OK;
    int rc = avformat_open_input(&v->fmt, path, NULL, NULL);
    if (rc < 0) {
        if (rc == AVERROR(ENOENT) || rc == AVERROR(EACCES) || rc == AVERROR(EISDIR) ||
            rc == AVERROR(ENOTDIR) || rc == AVERROR(EIO))
            s = err_set(err, LORAT_STATUS_IO, "cannot open video %s: %s: check the path", path,
                        av_text(rc).s);
        else
            s = err_set(err, LORAT_STATUS_FORMAT,
                        "%s is not a video FFmpeg can read (%s): check that it is a complete "
                        ".mp4, .avi, .mkv or similar file",
                        path, av_text(rc).s);
        goto fail;
    }
    rc = avformat_find_stream_info(v->fmt, NULL);
    if (rc < 0) {
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s: FFmpeg cannot read the streams of this file (%s): it is corrupt or "
                    "truncated",
                    path, av_text(rc).s);
        goto fail;
    }
    v->stream = -1;
    for (unsigned i = 0; i < v->fmt->nb_streams; i++) {
        const AVStream *st = v->fmt->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            v->stream = (int)i;
            break;
        }
    }
    if (v->stream < 0) {
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s has no video stream: give a video file (or a folder of frames)", path);
        goto fail;
    }
    AVStream *st = v->fmt->streams[v->stream];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        s = err_set(err, LORAT_STATUS_UNSUPPORTED,
                    "%s: this FFmpeg has no decoder for the video codec %s: re-encode the video "
                    "(for example to H.264)",
                    path, avcodec_get_name(st->codecpar->codec_id));
        goto fail;
    }
    v->dec = avcodec_alloc_context3(codec);
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->dec || !v->pkt || !v->frame) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    rc = avcodec_parameters_to_context(v->dec, st->codecpar);
    if (rc >= 0) {
        v->dec->pkt_timebase = st->time_base;
        rc = avcodec_open2(v->dec, codec, NULL);
    }
    if (rc < 0) {
        s = err_set(err, LORAT_STATUS_UNSUPPORTED,
                    "%s: cannot start the %s decoder (%s): re-encode the video (for example to "
                    "H.264)",
                    path, codec->name, av_text(rc).s);
        goto fail;
    }
    v->w = v->dec->width;
    v->h = v->dec->height;
    if (v->w <= 0 || v->h <= 0 || (int64_t)v->w * v->h > VIDEO_MAX_PIXELS) {
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s: the video stream's frame size %dx%d is impossible (positive, at most %lld "
                    "pixels): the file is corrupt",
                    path, v->w, v->h, (long long)VIDEO_MAX_PIXELS);
        goto fail;
    }
    AVRational r = st->avg_frame_rate;
    if (r.num <= 0 || r.den <= 0) r = st->r_frame_rate;
    v->fps = r.num > 0 && r.den > 0 ? av_q2d(r) : 0;
    v->nb_frames = st->nb_frames > 0 ? st->nb_frames : -1;
    *out = v;
    return LORAT_STATUS_OK;

fail:
    video_close(v);
    return s;
}

int video_width(const video_reader *v) {
    return v ? v->w : 0;
}

int video_height(const video_reader *v) {
    return v ? v->h : 0;
}

double video_fps(const video_reader *v) {
    return v ? v->fps : 0;
}

int64_t video_frame_count(const video_reader *v) {
    return v ? v->nb_frames : -1;
}

/* FFmpeg's deprecated "J" formats mean: this layout, full range. */
static enum AVPixelFormat unjpeg(enum AVPixelFormat f, int *full) {
    switch (f) {
    case AV_PIX_FMT_YUVJ420P:
        *full = 1;
        return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
        *full = 1;
        return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
        *full = 1;
        return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
        *full = 1;
        return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
        *full = 1;
        return AV_PIX_FMT_YUV411P;
    default:
        return f;
    }
}

static lorat_status convert_frame(video_reader *v, image *img, lorat_error *err) {
    const AVFrame *f = v->frame;
    int w = f->width, h = f->height;
    if (w <= 0 || h <= 0 || (int64_t)w * h > VIDEO_MAX_PIXELS)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: frame %lld has an impossible size %dx%d (positive, at most %lld pixels): "
                       "the video is corrupt", v->path, (long long)v->index, w, h,
                       (long long)VIDEO_MAX_PIXELS);
    int full = f->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat fmt = unjpeg((enum AVPixelFormat)f->format, &full);
    /* swscale's tables are indexed by the AVCOL_SPC_* value; unknown means BT.601, as in FFmpeg. */
    int cs = f->colorspace;
    if (cs == AVCOL_SPC_RGB || cs == AVCOL_SPC_UNSPECIFIED || cs < 0 || cs >= AVCOL_SPC_NB)
        cs = SWS_CS_DEFAULT;
    if (!v->sws || v->sws_w != w || v->sws_h != h || v->sws_fmt != fmt || v->sws_cs != cs ||
        v->sws_full != full) {
        sws_freeContext(v->sws);
        v->sws = sws_getContext(w, h, fmt, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
        if (!v->sws)
            return err_set(err, LORAT_STATUS_UNSUPPORTED,
                           "%s: frame %lld has pixel format %s, which swscale cannot convert to "
                           "RGB: re-encode the video",
                           v->path, (long long)v->index, av_get_pix_fmt_name(fmt));
        int *inv, *tab, src_full, dst_full, bright, contrast, sat;
        if (sws_getColorspaceDetails(v->sws, &inv, &src_full, &tab, &dst_full, &bright, &contrast,
                                     &sat) >= 0)
            sws_setColorspaceDetails(v->sws, sws_getCoefficients(cs), full, tab, dst_full, bright,
                                     contrast, sat);
        v->sws_w = w;
        v->sws_h = h;
        v->sws_fmt = fmt;
        v->sws_cs = cs;
        v->sws_full = full;
    }
    if (v->rgb_w != w || v->rgb_h != h) {
        av_freep(&v->rgb[0]);
        v->rgb_w = v->rgb_h = 0;
        if (av_image_alloc(v->rgb, v->rgb_linesize, w, h, AV_PIX_FMT_RGB24, 64) < 0)
            return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory for a %dx%d frame",
                           v->path, w, h);
        v->rgb_w = w;
        v->rgb_h = h;
    }
    int rows = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, h, v->rgb,
                         v->rgb_linesize);
    if (rows != h)
        return err_set(err, LORAT_STATUS_INTERNAL,
                       "%s: converting frame %lld to RGB gave %d rows instead of %d", v->path,
                       (long long)v->index, rows, h);
    lorat_status s = image_alloc(img, w, h, err);
    if (s) {
        err_prefix(err, "%s: frame %lld", v->path, (long long)v->index);
        return s;
    }
    for (int y = 0; y < h; y++)
        memcpy(img->data + (size_t)y * (size_t)w * 3, v->rgb[0] + (size_t)y * v->rgb_linesize[0],
               (size_t)w * 3);
    return LORAT_STATUS_OK;
}

lorat_status video_read(video_reader *v, image *img, int *eof, lorat_error *err) {
    if (!v || !img || !eof)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "video_read needs a reader, an image and eof");
    *eof = 0;
    if (v->done) {
        *eof = 1;
        return LORAT_STATUS_OK;
    }
    for (;;) {
        int rc = avcodec_receive_frame(v->dec, v->frame);
        if (rc == 0) {
            lorat_status s = convert_frame(v, img, err);
            av_frame_unref(v->frame);
            if (s) return s;
            v->index++;
            return LORAT_STATUS_OK;
        }
        if (rc == AVERROR_EOF || (rc == AVERROR(EAGAIN) && v->draining)) {
            v->done = 1;
            *eof = 1;
            return LORAT_STATUS_OK;
        }
        if (rc != AVERROR(EAGAIN))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: frame %lld cannot be decoded (%s): the video is corrupt; "
                           "re-encode or re-download it",
                           v->path, (long long)v->index, av_text(rc).s);

        /* The decoder wants more data. */
        rc = av_read_frame(v->fmt, v->pkt);
        if (rc < 0) {
            /* A truncated file can end with an error rather than a clean end of file: either way
             * the frames already buffered in the decoder are still returned. */
            if (rc != AVERROR_EOF && !(v->fmt->pb && avio_feof(v->fmt->pb)))
                return err_set(err, LORAT_STATUS_IO,
                               "%s: reading the data of frame %lld failed (%s): the file is "
                               "corrupt or unreadable",
                               v->path, (long long)v->index, av_text(rc).s);
            v->draining = 1;
            rc = avcodec_send_packet(v->dec, NULL);
            if (rc < 0 && rc != AVERROR_EOF)
                return err_set(err, LORAT_STATUS_FORMAT,
                               "%s: frame %lld cannot be decoded at the end of the file (%s): the "
                               "video is corrupt",
                               v->path, (long long)v->index, av_text(rc).s);
            continue;
        }
        if (v->pkt->stream_index != v->stream) {
            av_packet_unref(v->pkt);
            continue;
        }
        rc = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (rc < 0 && rc != AVERROR(EAGAIN))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: frame %lld cannot be decoded (%s): the video is corrupt; "
                           "re-encode or re-download it",
                           v->path, (long long)v->index, av_text(rc).s);
    }
}

/* ---- writer ---------------------------------------------------------------------------------- */

struct video_writer {
    char *path, *tmp;
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame; /* encoder input, in the encoder's pixel format */
    AVPacket *pkt;
    struct SwsContext *sws;
    uint8_t *rgb[4]; /* the frame padded to the encoded size */
    int rgb_linesize[4];
    int w, h;   /* size of the frames given */
    int ew, eh; /* size encoded */
    int64_t next_pts;
    int file_created;
    lorat_status failed; /* status of an earlier failure: the file will not be kept */
};

/* Makes the rename itself durable. Filesystems that cannot fsync a directory say EINVAL; that is
 * not a failure of the write. */
static int fsync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir) return ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
    close(fd);
    return e;
}

static int fsync_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int e = fsync(fd) == 0 || errno == EINVAL ? 0 : errno;
    close(fd);
    return e;
}

static void writer_free(video_writer *v) {
    if (v->fmt && v->fmt->pb) avio_closep(&v->fmt->pb);
    if (v->file_created && v->tmp) unlink(v->tmp);
    sws_freeContext(v->sws);
    av_freep(&v->rgb[0]);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->enc);
    avformat_free_context(v->fmt);
    free(v->path);
    free(v->tmp);
    free(v);
}

typedef enum video_codec { CODEC_X264, CODEC_MPEG4, CODEC_MJPEG } video_codec;

/* Configures and opens v->enc for codec at the given rate; returns an AVERROR code. */
static int open_encoder(video_writer *v, const AVCodec *codec, video_codec kind, AVRational rate) {
    avcodec_free_context(&v->enc);
    v->enc = avcodec_alloc_context3(codec);
    if (!v->enc) return AVERROR(ENOMEM);
    AVCodecContext *c = v->enc;
    int even = kind != CODEC_MJPEG;
    v->ew = even ? v->w + (v->w & 1) : v->w;
    v->eh = even ? v->h + (v->h & 1) : v->h;
    c->width = v->ew;
    c->height = v->eh;
    c->time_base = av_inv_q(rate);
    c->framerate = rate;
    c->sample_aspect_ratio = (AVRational){1, 1};
    if (kind == CODEC_MJPEG) {
        c->pix_fmt = AV_PIX_FMT_YUVJ420P;
        c->color_range = AVCOL_RANGE_JPEG;
        c->colorspace = AVCOL_SPC_BT470BG;
    } else {
        c->pix_fmt = AV_PIX_FMT_YUV420P;
        c->color_range = AVCOL_RANGE_MPEG;
        c->colorspace = AVCOL_SPC_SMPTE170M;
    }
    if (kind == CODEC_X264) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        av_opt_set(c->priv_data, "crf", "23", 0);
    } else {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 3;
    }
    if (v->fmt->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int rc = avcodec_open2(c, codec, NULL);
    if (rc < 0) avcodec_free_context(&v->enc);
    return rc;
}

lorat_status video_writer_open(const char *path, int w, int h, double fps, video_writer **out,
                               lorat_error *err) {
    if (!path || !out)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "video_writer_open needs a path and an output");
    *out = NULL;
    if (w <= 0 || h <= 0 || (int64_t)w * h > VIDEO_MAX_PIXELS)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: frame size %dx%d is out of range: width and height must be positive",
                       path, w, h);
    if (!isfinite(fps) || fps <= 0 || fps > 1000)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: frame rate %g is out of range: give a rate in (0, 1000] frames per "
                       "second",
                       path, fps);
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    const char *ext = dot ? dot + 1 : "";
    const char *muxer = strcasecmp(ext, "mp4") == 0   ? "mp4"
                        : strcasecmp(ext, "mkv") == 0 ? "matroska"
                        : strcasecmp(ext, "avi") == 0 ? "avi"
                                                      : NULL;
    if (!muxer)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: cannot tell the video format from the name: end it in .mp4, .mkv or "
                       ".avi",
                       path);
    ffmpeg_quiet();

    lorat_status s = LORAT_STATUS_OK;
    video_writer *v = calloc(1, sizeof *v);
    size_t tlen = strlen(path) + strlen(ext) + 40;
    if (!v || !(v->path = strdup(path)) || !(v->tmp = malloc(tlen))) {
        if (v) writer_free(v);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    snprintf(v->tmp, tlen, "%s.tmp.%ld.%s", path, (long)getpid(), ext);
    v->w = w;
    v->h = h;

    int rc = avformat_alloc_output_context2(&v->fmt, NULL, muxer, v->tmp);
    if (rc < 0 || !v->fmt) {
        s = err_set(err, LORAT_STATUS_UNSUPPORTED,
                    "%s: this FFmpeg cannot write %s files (%s): write another format", path, muxer,
                    av_text(rc).s);
        goto fail;
    }
    /* 65535 is MPEG-4 part 2's largest time base denominator. */
    AVRational rate = av_d2q(fps, 65535);
    if (rate.num <= 0 || rate.den <= 0) {
        s = err_set(err, LORAT_STATUS_BAD_INPUT, "%s: frame rate %g cannot be represented", path,
                    fps);
        goto fail;
    }
    const AVCodec *codec = NULL;
    rc = AVERROR_ENCODER_NOT_FOUND;
    if (strcmp(muxer, "avi") == 0) {
        if ((codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG)))
            rc = open_encoder(v, codec, CODEC_MJPEG, rate);
    } else {
        if ((codec = avcodec_find_encoder_by_name("libx264")))
            rc = open_encoder(v, codec, CODEC_X264, rate);
        if (rc < 0 && (codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4)))
            rc = open_encoder(v, codec, CODEC_MPEG4, rate);
    }
    if (rc < 0) {
        s = err_set(err, LORAT_STATUS_UNSUPPORTED,
                    "%s: cannot start a video encoder for .%s files (%s): this FFmpeg may lack "
                    "it; try another extension",
                    path, ext, av_text(rc).s);
        goto fail;
    }

    v->st = avformat_new_stream(v->fmt, NULL);
    v->frame = av_frame_alloc();
    v->pkt = av_packet_alloc();
    if (!v->st || !v->frame || !v->pkt) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    v->st->time_base = v->enc->time_base;
    v->st->avg_frame_rate = rate;
    rc = avcodec_parameters_from_context(v->st->codecpar, v->enc);
    if (rc < 0) {
        s = err_set(err, LORAT_STATUS_INTERNAL, "%s: cannot set up the video stream (%s)", path,
                    av_text(rc).s);
        goto fail;
    }
    v->frame->format = v->enc->pix_fmt;
    v->frame->width = v->ew;
    v->frame->height = v->eh;
    if (av_frame_get_buffer(v->frame, 0) < 0 ||
        av_image_alloc(v->rgb, v->rgb_linesize, v->ew, v->eh, AV_PIX_FMT_RGB24, 64) < 0) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory for %dx%d frames", path, w, h);
        goto fail;
    }
    v->sws = sws_getContext(v->ew, v->eh, AV_PIX_FMT_RGB24, v->ew, v->eh, v->enc->pix_fmt,
                            SWS_BICUBIC, NULL, NULL, NULL);
    if (!v->sws) {
        s = err_set(err, LORAT_STATUS_INTERNAL, "%s: swscale cannot convert RGB to %s", path,
                    av_get_pix_fmt_name(v->enc->pix_fmt));
        goto fail;
    }

    rc = avio_open(&v->fmt->pb, v->tmp, AVIO_FLAG_WRITE);
    if (rc < 0) {
        s = err_set(err, LORAT_STATUS_IO,
                    "%s: cannot create temporary file %s (%s): check that the directory exists "
                    "and is writable",
                    path, v->tmp, av_text(rc).s);
        goto fail;
    }
    v->file_created = 1;
    rc = avformat_write_header(v->fmt, NULL);
    if (rc < 0) {
        s = err_set(err, LORAT_STATUS_IO, "%s: cannot write the video header (%s)", path,
                    av_text(rc).s);
        goto fail;
    }
    *out = v;
    return LORAT_STATUS_OK;

fail:
    writer_free(v);
    return s;
}

/* Sends frame (NULL: flush) to the encoder and writes every packet it has ready. */
static lorat_status encode(video_writer *v, AVFrame *frame, lorat_error *err) {
    int rc = avcodec_send_frame(v->enc, frame);
    if (rc < 0)
        return err_set(err, LORAT_STATUS_INTERNAL, "%s: encoding frame %lld failed (%s)", v->path,
                       (long long)v->next_pts - (frame ? 1 : 0), av_text(rc).s);
    for (;;) {
        rc = avcodec_receive_packet(v->enc, v->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return LORAT_STATUS_OK;
        if (rc < 0)
            return err_set(err, LORAT_STATUS_INTERNAL, "%s: encoding frame %lld failed (%s)",
                           v->path, (long long)v->next_pts - 1, av_text(rc).s);
        av_packet_rescale_ts(v->pkt, v->enc->time_base, v->st->time_base);
        v->pkt->stream_index = v->st->index;
        rc = av_interleaved_write_frame(v->fmt, v->pkt); /* takes the packet's data */
        if (rc < 0)
            return err_set(err, LORAT_STATUS_IO,
                           "%s: writing video data to %s failed (%s): is the disk full?", v->path,
                           v->tmp, av_text(rc).s);
    }
}

lorat_status video_write(video_writer *v, const image *frame, lorat_error *err) {
    if (!v || !frame || !frame->data)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "video_write needs a writer and a frame");
    if (v->failed)
        return err_set(err, v->failed,
                       "%s: an earlier frame could not be written: close the writer (with abort) "
                       "and start again",
                       v->path);
    if (frame->w != v->w || frame->h != v->h)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: frame %lld is %dx%d but the video is %dx%d: every frame must have the "
                       "size given to video_writer_open",
                       v->path, (long long)v->next_pts, frame->w, frame->h, v->w, v->h);
    /* Into the padded buffer; an odd side gets a copy of the last column or row. */
    size_t row = (size_t)v->w * 3;
    for (int y = 0; y < v->h; y++) {
        uint8_t *dst = v->rgb[0] + (size_t)y * v->rgb_linesize[0];
        memcpy(dst, frame->data + (size_t)y * row, row);
        if (v->ew > v->w) memcpy(dst + row, dst + row - 3, 3);
    }
    if (v->eh > v->h)
        memcpy(v->rgb[0] + (size_t)v->h * v->rgb_linesize[0],
               v->rgb[0] + (size_t)(v->h - 1) * v->rgb_linesize[0], (size_t)v->ew * 3);

    /* The encoder may still hold a reference to the previous frame's buffers. */
    int rc = av_frame_make_writable(v->frame);
    if (rc < 0) {
        v->failed = LORAT_STATUS_NO_MEMORY;
        return err_set(err, v->failed, "%s: out of memory (%s)", v->path, av_text(rc).s);
    }
    sws_scale(v->sws, (const uint8_t *const *)v->rgb, v->rgb_linesize, 0, v->eh, v->frame->data,
              v->frame->linesize);
    v->frame->pts = v->next_pts++;
    lorat_status s = encode(v, v->frame, err);
    if (s) v->failed = s;
    return s;
}

lorat_status video_writer_close(video_writer *v, int abort, lorat_error *err) {
    if (!v) return LORAT_STATUS_OK;
    lorat_status s = LORAT_STATUS_OK;
    if (!abort && v->failed)
        s = err_set(err, v->failed,
                    "%s: not written, because an earlier frame could not be written", v->path);
    else if (!abort && v->next_pts == 0)
        s = err_set(err, LORAT_STATUS_BAD_INPUT,
                    "%s: not written, because it would hold no frames (readers see no video "
                    "stream in such a file)",
                    v->path);
    if (!abort && !s) {
        s = encode(v, NULL, err);
        int rc = 0;
        if (!s && (rc = av_write_trailer(v->fmt)) < 0)
            s = err_set(err, LORAT_STATUS_IO, "%s: cannot finish the video file %s (%s)", v->path,
                        v->tmp, av_text(rc).s);
        if (!s && (rc = avio_closep(&v->fmt->pb)) < 0)
            s = err_set(err, LORAT_STATUS_IO,
                        "%s: cannot close the video file %s (%s): is the disk full?", v->path,
                        v->tmp, av_text(rc).s);
        int e = 0;
        if (!s && (e = fsync_file(v->tmp)))
            s = err_set(err, LORAT_STATUS_IO, "%s: cannot fsync %s: %s", v->path, v->tmp,
                        strerror(e));
        if (!s && rename(v->tmp, v->path) != 0)
            s = err_set(err, LORAT_STATUS_IO, "%s: cannot rename %s into place: %s", v->path,
                        v->tmp, strerror(errno));
        if (!s) {
            v->file_created = 0; /* it is the finished video now, not ours to remove */
            if ((e = fsync_parent_dir(v->path)))
                s = err_set(err, LORAT_STATUS_IO,
                            "%s: written, but syncing its directory failed (%s): the new file "
                            "may not survive a crash",
                            v->path, strerror(e));
        }
    }
    writer_free(v);
    return s;
}
