/*
 * track_frames.c — a program outside lorat's tree, built against an installed lorat (pkg-config
 * or find_package): tracks the object of a frame folder from a first box with the public API
 * only, printing one x,y,w,h line per frame as lorat track --out does.
 *   usage: track_frames MODEL FRAMES_DIR x,y,w,h
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lorat.h>

static int is_frame(const struct dirent *e) {
    const char *dot = strrchr(e->d_name, '.');
    return dot && (!strcmp(dot, ".jpg") || !strcmp(dot, ".png"));
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: track_frames MODEL FRAMES_DIR x,y,w,h\n");
        return 2;
    }
    lorat_box box;
    if (sscanf(argv[3], "%f,%f,%f,%f", &box.x, &box.y, &box.w, &box.h) != 4) {
        fprintf(stderr, "track_frames: the box must be x,y,w,h\n");
        return 2;
    }
    struct dirent **names = NULL;
    const int n = scandir(argv[2], &names, is_frame, alphasort); /* names are zero-padded */
    if (n < 1) {
        fprintf(stderr, "track_frames: no .jpg or .png frames in %s\n", argv[2]);
        return 1;
    }
    lorat_error err = {0};
    lorat_model *model = NULL;
    lorat_tracker *tracker = NULL;
    int rc = 1;
    lorat_set_threads(1);
    if (lorat_model_load(argv[1], &model, &err) || lorat_tracker_create(model, NULL, &tracker, &err)) goto done;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], names[i]->d_name);
        lorat_image im;
        if (lorat_image_read(path, &im, &err)) goto done;
        float conf = 0;
        lorat_status st = i == 0 ? lorat_tracker_init(tracker, &im, box, &err)
                                 : lorat_tracker_update(tracker, &im, &box, &conf, &err);
        lorat_image_free(&im);
        if (st) goto done;
        printf("%.4f,%.4f,%.4f,%.4f\n", box.x, box.y, box.w, box.h);
    }
    rc = 0;
done:
    if (rc) fprintf(stderr, "track_frames: %s (lorat %s)\n", err.message, lorat_version());
    lorat_tracker_free(tracker);
    lorat_model_free(model);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}
