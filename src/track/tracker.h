/*
 * tracker.h — the tracker's steps, exposed inside the library so that tests can drive the
 * geometry without the network (prepare the search crop, then finish from given maps), and so
 * that `lorat track --profile` can read the time spent per step.
 */
#ifndef LORAT_TRACK_TRACKER_H
#define LORAT_TRACK_TRACKER_H

#include "lorat.h"
#include "track/crop.h"

typedef struct tracker_times {
    double crop, model, post; /* seconds, summed over updates */
    int updates;
} tracker_times;

/* Crops the search region of the next frame around the state box (after the minimum size),
 * padding with the first frame's mean, and normalises it into the tracker's input. */
lorat_status tracker_prepare(lorat_tracker *t, const lorat_image *img, lorat_error *err);
/* The crop parameters of the last prepared search region. */
const crop_params *tracker_search_params(const lorat_tracker *t);
/* Post-processes score (gh,gw) and boxes (gh,gw,4) and updates the state box. */
void tracker_finish(lorat_tracker *t, const float *score, const float *boxes, lorat_box *box,
                    float *confidence);
const tracker_times *tracker_get_times(const lorat_tracker *t);
/* Puts the state box (x,y,w,h) where another tracker's is: tests compare two precisions from the
 * same state frame by frame. */
void tracker_set_state(lorat_tracker *t, lorat_box box);

#endif
