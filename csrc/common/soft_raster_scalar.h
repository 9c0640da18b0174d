// Scalar helpers of the soft rasterizer's math: float / double overloads of the libm
// functions (so that templates on the scalar type call expf for float and exp for
// double on both back ends), and branch-free min / max / clamp / sigmoid. Host-device.
#pragma once

#include <math.h>

#include "soft_raster_params.h"

namespace softrecon {

SR_HOST_DEVICE inline float sr_exp(float x) { return expf(x); }
SR_HOST_DEVICE inline double sr_exp(double x) { return exp(x); }
SR_HOST_DEVICE inline float sr_expm1(float x) { return expm1f(x); }
SR_HOST_DEVICE inline double sr_expm1(double x) { return expm1(x); }
SR_HOST_DEVICE inline float sr_tanh(float x) { return tanhf(x); }
SR_HOST_DEVICE inline double sr_tanh(double x) { return tanh(x); }
SR_HOST_DEVICE inline float sr_log(float x) { return logf(x); }
SR_HOST_DEVICE inline double sr_log(double x) { return log(x); }
SR_HOST_DEVICE inline float sr_log1p(float x) { return log1pf(x); }
SR_HOST_DEVICE inline double sr_log1p(double x) { return log1p(x); }
SR_HOST_DEVICE inline float sr_erfc(float x) { return erfcf(x); }
SR_HOST_DEVICE inline double sr_erfc(double x) { return erfc(x); }
SR_HOST_DEVICE inline float sr_erf(float x) { return erff(x); }
SR_HOST_DEVICE inline double sr_erf(double x) { return erf(x); }
SR_HOST_DEVICE inline float sr_atan(float x) { return atanf(x); }
SR_HOST_DEVICE inline double sr_atan(double x) { return atan(x); }
SR_HOST_DEVICE inline float sr_asin(float x) { return asinf(x); }
SR_HOST_DEVICE inline double sr_asin(double x) { return asin(x); }
SR_HOST_DEVICE inline float sr_sin(float x) { return sinf(x); }
SR_HOST_DEVICE inline double sr_sin(double x) { return sin(x); }
SR_HOST_DEVICE inline float sr_atan2(float y, float x) { return atan2f(y, x); }
SR_HOST_DEVICE inline double sr_atan2(double y, double x) { return atan2(y, x); }
SR_HOST_DEVICE inline float sr_sqrt(float x) { return sqrtf(x); }
SR_HOST_DEVICE inline double sr_sqrt(double x) { return sqrt(x); }
// log(1 + exp(x)) without overflow.
template <typename T>
SR_HOST_DEVICE inline T sr_softplus(T x) {
  return (x > T(0) ? x : T(0)) + sr_log1p(sr_exp(-(x < T(0) ? -x : x)));
}
// Constants of the scalar type: the unit roundoff and a tiny positive normal number.
template <typename T>
struct ScalarLimits;
template <>
struct ScalarLimits<float> {
  static constexpr float kEpsilon = 6e-8f;
  static constexpr float kTiny = 1e-30f;
};
template <>
struct ScalarLimits<double> {
  static constexpr double kEpsilon = 1.2e-16;
  static constexpr double kTiny = 1e-300;
};
template <typename T>
SR_HOST_DEVICE inline T sr_abs(T x) { return x < T(0) ? -x : x; }
template <typename T>
SR_HOST_DEVICE inline T sr_min(T a, T b) { return b < a ? b : a; }
template <typename T>
SR_HOST_DEVICE inline T sr_max(T a, T b) { return a < b ? b : a; }
template <typename T>
SR_HOST_DEVICE inline T sr_clamp01(T x) {
  // min(max(x, 0), 1): the same value as x < 0 ? 0 : (x > 1 ? 1 : x) for every x (NaN stays
  // NaN, -0 stays -0), written so that compilers emit branch-free min / max instructions.
  return sr_min(sr_max(x, T(0)), T(1));
}
template <typename T>
SR_HOST_DEVICE inline T sr_sigmoid(T x) {  // 1 / (1 + exp(-x)) without overflow; 0 at -inf, 1 at +inf
  const T e = sr_exp(-sr_abs(x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

}  // namespace softrecon
