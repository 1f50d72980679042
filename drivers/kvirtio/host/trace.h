/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio tracepoints along the request path: kick -> worker pass (chains
 * popped, used elements completed) -> interrupt.  Enable with
 * /sys/kernel/tracing/events/kvirtio/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvirtio

#if !defined(KVIRTIO_HOST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVIRTIO_HOST_TRACE_H

#include <linux/tracepoint.h>

/* Where a kick came from. */
#define KVIRTIO_KICK_EVENTFD	0
#define KVIRTIO_KICK_MMIO	1
#define KVIRTIO_KICK_DIRECT	2	/* on KVM's bus (direct mode) */

TRACE_EVENT(kvirtio_kick,
	    TP_PROTO(int dev, u16 qid, int source),
	    TP_ARGS(dev, qid, source),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(u16, qid)
			     __field(int, source)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->qid = qid;
			   __entry->source = source;),
	    TP_printk("dev=%d q=%u source=%s", __entry->dev, __entry->qid,
		      __print_symbolic(__entry->source,
				       { KVIRTIO_KICK_EVENTFD, "eventfd" },
				       { KVIRTIO_KICK_MMIO, "mmio" },
				       { KVIRTIO_KICK_DIRECT, "direct" }))
);

TRACE_EVENT(kvirtio_pop,
	    TP_PROTO(int dev, u16 qid, u64 chains),
	    TP_ARGS(dev, qid, chains),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(u16, qid)
			     __field(u64, chains)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->qid = qid;
			   __entry->chains = chains;),
	    TP_printk("dev=%d q=%u chains=%llu", __entry->dev, __entry->qid,
		      __entry->chains)
);

TRACE_EVENT(kvirtio_complete,
	    TP_PROTO(int dev, u16 qid, u64 used, u64 bytes, int ret),
	    TP_ARGS(dev, qid, used, bytes, ret),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(u16, qid)
			     __field(u64, used)
			     __field(u64, bytes)
			     __field(int, ret)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->qid = qid;
			   __entry->used = used;
			   __entry->bytes = bytes;
			   __entry->ret = ret;),
	    TP_printk("dev=%d q=%u used=%llu bytes=%llu ret=%d", __entry->dev,
		      __entry->qid, __entry->used, __entry->bytes,
		      __entry->ret)
);

TRACE_EVENT(kvirtio_interrupt,
	    TP_PROTO(int dev, int vector, bool intx),
	    TP_ARGS(dev, vector, intx),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(int, vector)
			     __field(bool, intx)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->vector = vector;
			   __entry->intx = intx;),
	    TP_printk("dev=%d %s vector=%d", __entry->dev,
		      __entry->intx ? "intx" : "msix", __entry->vector)
);

#endif /* KVIRTIO_HOST_TRACE_H */

/* Out-of-tree builds: Kbuild adds -I for this directory to worker.o. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
