/*
 * video.h — reading frames from a video file and writing an annotated one, through FFmpeg's
 * libraries (libavformat, libavcodec, libswscale). Frames are 8-bit RGB images (io/image.h).
 */
#ifndef LORAT_IO_VIDEO_H
#define LORAT_IO_VIDEO_H

#include "io/image.h"

typedef struct video_reader video_reader;

/* Opens the first video stream of any container FFmpeg reads (mp4, avi, mkv, ...). */
lorat_status video_open(const char *path, video_reader **out, lorat_error *err);
int video_width(const video_reader *v);
int video_height(const video_reader *v);
double video_fps(const video_reader *v);          /* 0 when unknown */
int64_t video_frame_count(const video_reader *v); /* from the container; -1 when unknown */
/* Decodes the next frame into img (reused). *eof = 1 and OK after the last frame. A corrupt
 * frame is an error that names the frame number. */
lorat_status video_read(video_reader *v, image *img, int *eof, lorat_error *err);
void video_close(video_reader *v);

typedef struct video_writer video_writer;

/* Codec by extension: .mp4 and .mkv → H.264 (libx264) if FFmpeg has it, else MPEG-4 part 2;
 * .avi → MJPEG. Written to a temporary file and renamed into place by video_writer_close. */
lorat_status video_writer_open(const char *path, int w, int h, double fps, video_writer **out,
                               lorat_error *err);
lorat_status video_write(video_writer *v, const image *frame, lorat_error *err);
/* Flushes, closes and renames; on error (or abort = 1) the temporary file is removed. */
lorat_status video_writer_close(video_writer *v, int abort, lorat_error *err);

#endif
