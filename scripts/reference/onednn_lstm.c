// oneDNN's LSTM primitive at CNN-ALSTM's sizes, against the inner product that fercam's Swift LSTM runs before
// its recurrence: is the RNN primitive worth using? (docs/benchmarks.md, "The LSTM: oneDNN's primitive or Swift")
//
//   gcc -O2 scripts/reference/onednn_lstm.c -ldnnl -o .cache/onednn_lstm && OMP_NUM_THREADS=1 .cache/onednn_lstm
//
// Prints, per batch, the median over rounds of the time per call: the whole LSTM (input projection and recurrence,
// 36 steps, 64 inputs, 128 hidden, zero initial state, fp32, forward inference) and the input projection alone
// (36*N x 64 -> 512 with bias, the part of fercam's path that is also oneDNN).
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { STEPS = 36, INPUTS = 64, HIDDEN = 128, GATES = 4, ROUNDS = 7, CALLS = 2000 };

#define CHECK(call)                                                                       \
    do {                                                                                  \
        dnnl_status_t status_ = (call);                                                   \
        if (status_ != dnnl_success) {                                                    \
            fprintf(stderr, "onednn_lstm: %s failed (status %d)\n", #call, (int)status_); \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static dnnl_memory_t filled(dnnl_engine_t engine, const dnnl_memory_desc_t *md) {
    dnnl_memory_t memory;
    CHECK(dnnl_memory_create(&memory, md, engine, DNNL_MEMORY_ALLOCATE));
    float *data;
    CHECK(dnnl_memory_get_data_handle(memory, (void **)&data));
    size_t count = dnnl_memory_desc_get_size(md) / sizeof(float);
    for (size_t i = 0; i < count; i++) data[i] = (float)((i * 2654435761u) % 1000) / 5000.0f - 0.1f;
    return memory;
}

// Median microseconds per call of `primitive` over ROUNDS rounds of CALLS calls.
static double time_primitive(dnnl_stream_t stream, dnnl_primitive_t primitive, int count, dnnl_exec_arg_t *args) {
    double rounds[ROUNDS];
    for (int i = 0; i < 200; i++) CHECK(dnnl_primitive_execute(primitive, stream, count, args));
    CHECK(dnnl_stream_wait(stream));
    for (int r = 0; r < ROUNDS; r++) {
        double began = now_us();
        for (int i = 0; i < CALLS; i++) CHECK(dnnl_primitive_execute(primitive, stream, count, args));
        CHECK(dnnl_stream_wait(stream));
        rounds[r] = (now_us() - began) / CALLS;
    }
    qsort(rounds, ROUNDS, sizeof rounds[0], by_value);
    return rounds[ROUNDS / 2];
}

static double time_lstm(dnnl_engine_t engine, dnnl_stream_t stream, int batch) {
    dnnl_memory_desc_t src, weights_layer, weights_iter, bias, dst;
    dnnl_dims_t src_dims = {STEPS, batch, INPUTS}, dst_dims = {STEPS, batch, HIDDEN};
    dnnl_dims_t wl_dims = {1, 1, INPUTS, GATES, HIDDEN}, wi_dims = {1, 1, HIDDEN, GATES, HIDDEN};
    dnnl_dims_t bias_dims = {1, 1, GATES, HIDDEN};
    CHECK(dnnl_memory_desc_init_by_tag(&src, 3, src_dims, dnnl_f32, dnnl_tnc));
    CHECK(dnnl_memory_desc_init_by_tag(&dst, 3, dst_dims, dnnl_f32, dnnl_tnc));
    CHECK(dnnl_memory_desc_init_by_tag(&weights_layer, 5, wl_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&weights_iter, 5, wi_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 4, bias_dims, dnnl_f32, dnnl_ldgo));
    dnnl_rnn_desc_t desc;
    CHECK(dnnl_lstm_forward_desc_init(&desc, dnnl_forward_inference, dnnl_unidirectional_left2right, &src, NULL,
                                      NULL, &weights_layer, &weights_iter, &bias, &dst, NULL, NULL, 0));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL));
    const dnnl_memory_desc_t *wl = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *wi = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    const char *implementation;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &implementation));
    fprintf(stderr, "lstm batch %d: %s\n", batch, implementation);
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC_LAYER, filled(engine, &src)},        {DNNL_ARG_WEIGHTS_LAYER, filled(engine, wl)},
        {DNNL_ARG_WEIGHTS_ITER, filled(engine, wi)},       {DNNL_ARG_BIAS, filled(engine, &bias)},
        {DNNL_ARG_DST_LAYER, filled(engine, &dst)},        {DNNL_ARG_SCRATCHPAD, filled(engine, scratch)},
    };
    dnnl_primitive_t primitive;
    CHECK(dnnl_primitive_create(&primitive, pd));
    return time_primitive(stream, primitive, 6, args);
}

static double time_projection(dnnl_engine_t engine, dnnl_stream_t stream, int batch) {
    dnnl_memory_desc_t src, weights, bias, dst;
    dnnl_dims_t src_dims = {STEPS * batch, INPUTS}, w_dims = {GATES * HIDDEN, INPUTS}, b_dims = {GATES * HIDDEN};
    dnnl_dims_t dst_dims = {STEPS * batch, GATES * HIDDEN};
    CHECK(dnnl_memory_desc_init_by_tag(&src, 2, src_dims, dnnl_f32, dnnl_nc));
    CHECK(dnnl_memory_desc_init_by_tag(&weights, 2, w_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, b_dims, dnnl_f32, dnnl_x));
    CHECK(dnnl_memory_desc_init_by_tag(&dst, 2, dst_dims, dnnl_f32, dnnl_nc));
    dnnl_inner_product_desc_t desc;
    CHECK(dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src, &weights, &bias, &dst));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL));
    const dnnl_memory_desc_t *w = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, filled(engine, &src)}, {DNNL_ARG_WEIGHTS, filled(engine, w)},
        {DNNL_ARG_BIAS, filled(engine, &bias)}, {DNNL_ARG_DST, filled(engine, &dst)},
        {DNNL_ARG_SCRATCHPAD, filled(engine, scratch)},
    };
    dnnl_primitive_t primitive;
    CHECK(dnnl_primitive_create(&primitive, pd));
    return time_primitive(stream, primitive, 5, args);
}

int main(void) {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    printf("batch  oneDNN LSTM (us/call)  input projection alone (us/call)  per face: LSTM, projection\n");
    int batches[] = {1, 4, 8};
    for (int i = 0; i < 3; i++) {
        double lstm = time_lstm(engine, stream, batches[i]), projection = time_projection(engine, stream, batches[i]);
        printf("%5d  %23.1f  %33.1f  %8.1f, %.1f\n", batches[i], lstm, projection, lstm / batches[i],
               projection / batches[i]);
    }
    return 0;
}
