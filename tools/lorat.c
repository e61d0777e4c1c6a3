/* lorat.c — the command-line tool: dispatches to one subcommand (src/cli/<name>.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"track", cli_track, "track an object in a video or frame folder from a first box"},
    {"trax", cli_trax, "serve the tracker over TraX (the VOT toolkit protocol) on stdin/stdout"},
    {"eval", cli_eval, "one-pass evaluation on a benchmark, or scoring of result files"},
    {"report", cli_report, "tables and success / precision plots of several trackers"},
    {"train", cli_train, "LoRA (or full) fine-tuning with the paper's recipe, resumable"},
    {"init", cli_init, "a randomly initialised model file, to train from scratch"},
    {"synth", cli_synth, "write procedural tracking sequences (GOT-10k layout)"},
    {"convert", cli_convert, "official DINOv2 .pth + LoRAT checkpoint -> lorat model file"},
    {"forward", cli_forward, "run the network on raw input tensors (for parity checks)"},
    {"export", cli_export, "the network as an ONNX file, the tracker around it as JSON"},
    {"info", cli_info, "parameters and MACs of a variant or model, per part"},
    {"bench", cli_bench, "forward time per stage, GFLOP/s and share of the SGEMM peak"},
    {"inspect", cli_inspect, "list the tensors and metadata of a safetensors or .pth file"},
    {"compare", cli_compare, "compare the tensors of two files (relative error, worst elements)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: lorat <command> [options]   (lorat <command> --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "lorat: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
