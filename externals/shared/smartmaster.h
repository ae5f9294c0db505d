/* smartmaster.h - what every smartmaster Pd class includes.
 *
 * Classes are built with -fvisibility=hidden: Pd opens externals with
 * RTLD_GLOBAL, so any visible helper could be bound to another library's
 * function of the same name. Only the setup functions are exported. */
#ifndef SM_SMARTMASTER_H
#define SM_SMARTMASTER_H

#include "m_pd.h"

#if PD_FLOATSIZE != 32
#error                                                                         \
    "smartmaster's DSP core works on 32-bit floats: build for Pd with 32-bit floats"
#endif

#define SM_EXPORT __attribute__((visibility("default")))

/* class_new wants a t_newmethod; going through void (*)(void), the generic
 * function pointer type, keeps -Wcast-function-type quiet. */
#define SM_NEWMETHOD(f) ((t_newmethod)(void (*)(void))(f))
#define SM_VERSION "0.1.0"

/* Most channels any object accepts with -ch. */
#define SM_MAXCH 8

#endif
