/* version.h - kbc's version, also part of the build cache key. */
#ifndef KBC_VERSION_H
#define KBC_VERSION_H
#define KBC_VERSION "0.1.0"
#endif
