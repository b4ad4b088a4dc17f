/* The least libhdf5 spends writing one run group of results.h5, from plain C: a group with
 * creation order tracked, NATTR scalar attributes (a third of them strings, the rest doubles),
 * and three 11-element arrays, as bench/merge.yaml's runs have; the ids a merge needs are
 * created once. Prints microseconds of CPU per run group. Usage: hdf5_floor RUNS NATTR */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 2000, nattr = argc > 2 ? atoi(argv[2]) : 44;
    char path[] = "/tmp/exprun-hdf5-floor-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_creation_order(fcpl, order);
    H5Pset_attr_creation_order(fcpl, order);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110);
    H5Pset_link_creation_order(gcpl, order);
    H5Pset_attr_creation_order(gcpl, order);
    H5Pset_attr_phase_change(gcpl, 128, 100);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    hid_t root = H5Gcreate2(file, "runs", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, H5T_VARIABLE);
    H5Tset_cset(text, H5T_CSET_UTF8);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hsize_t n = 11;
    hid_t space = H5Screate_simple(1, &n, NULL);
    double values[11] = {0};
    long long steps[11] = {0};
    const char *names[] = {"step", "batch_loss", "lr"};
    clock_t start = clock();
    for (int r = 0; r < runs; r++) {
        char name[32];
        snprintf(name, sizeof name, "run%08d", r);
        hid_t g = H5Gcreate2(root, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
        for (int a = 0; a < nattr; a++) {
            char an[32];
            snprintf(an, sizeof an, "parameter.name_%d", a);
            if (a % 3 == 0) {
                const char *v = "some_text_value";
                hid_t at = H5Acreate2(g, an, text, scalar, H5P_DEFAULT, H5P_DEFAULT);
                H5Awrite(at, text, &v);
                H5Aclose(at);
            } else {
                double v = a;
                hid_t at = H5Acreate2(g, an, H5T_IEEE_F64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
                H5Awrite(at, H5T_NATIVE_DOUBLE, &v);
                H5Aclose(at);
            }
        }
        for (int d = 0; d < 3; d++) {
            hid_t ds = H5Dcreate2(g, names[d], d ? H5T_IEEE_F64LE : H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            H5Dwrite(ds, d ? H5T_NATIVE_DOUBLE : H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, d ? (void *)values : (void *)steps);
            H5Dclose(ds);
        }
        H5Gclose(g);
    }
    H5Gclose(root);
    H5Fclose(file);
    printf("%.1f\n", 1e6 * (double)(clock() - start) / CLOCKS_PER_SEC / runs);
    unlink(path);
    return 0;
}
