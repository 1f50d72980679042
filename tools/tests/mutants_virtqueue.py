#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Mutation check of the virtqueue engine's userspace tests.

Each mutant removes one validation rule (or notification rule) from a copy
of drivers/kvirtio/virtqueue.c in the build directory, never in the source
tree.  The KUnit suite (kunit/virtqueue_test.c, built as a userspace
program on tools/include/kunit/test.h), the userspace test
(tools/tests/test_virtqueue.c) and the corpus replay
(tools/fuzz/fuzz_virtqueue.c) are built against the mutant with gcc, ASan
and UBSan.  The KUnit suite must fail for every mutant, and so must at
least one of the others (the compact userspace set is held to the same
bar).  Prints TAP; exits non-zero when a mutant survives or the unmutated
engine fails.

Usage: mutants_virtqueue.py ROOT OUTDIR
"""
import os
import subprocess
import sys

# name: (text in virtqueue.c, replacement).  Each text must occur once.
MUTANTS = {
    'head index bound': ('if (head >= vq->ring.size)', 'if (0)'),
    'next index bound': ('if (d.next >= size)', 'if (0)'),
    'avail.idx ahead bound': ('if (pending > vq->ring.size)', 'if (0)'),
    'readable after writable':
        ('if (!writable && chain->num_readable != chain->num)', 'if (0)'),
    'buffer range_ok': ('if (!vq->mem->ops->range_ok(vq->mem, d->addr, '
                        'd->len ? d->len : 1))', 'if (0)'),
    'buffer wrap check': ('if (check_add_overflow(d->addr, (u64)(d->len ? '
                          'd->len : 1), &end))', 'if (0)'),
    'in-flight cap': ('if (vq->inflight >= vq->ring.size)', 'if (0)'),
    'direct loop bound': ('if (count >= size)', 'if (0)'),
    'chain length cap': ('if (chain->num >= w->cap)', 'if (0)'),
    'nested indirect': ('if (d.flags & VRING_DESC_F_INDIRECT)\n\t\t\treturn '
                        'vq_fail(vq, -EINVAL,\n\t\t\t\t       "nested',
                        'if (0)\n\t\t\treturn vq_fail(vq, -EINVAL,\n'
                        '\t\t\t\t       "nested'),
    'indirect negotiated': ('if (!vq->indirect)', 'if (0)'),
    'indirect next bound': ('if (d.next >= n)', 'if (0)'),
    'indirect table range': ('if (check_add_overflow(ind->addr, (u64)ind->len,'
                             ' &end) ||\n\t    !vq->mem->ops->range_ok(vq->mem,'
                             ' ind->addr, ind->len))', 'if (0)'),
    'indirect length': ('if (!ind->len || ind->len % sizeof(struct '
                        'kvirtio_vring_desc))', 'if (0)'),
    'push head check': ('if (head >= vq->ring.size || !vq->inflight)',
                        'if (!vq->inflight)'),
    'first event-idx notify': ('notify = !valid || vring_need_event(event, '
                               'new, old);',
                               'notify = vring_need_event(event, new, old);'),
    'NO_INTERRUPT flag': ('&&\n\t\t\t !(flags & VRING_AVAIL_F_NO_INTERRUPT);',
                          ';'),
    'enable_notify re-check': ('return avail_idx != vq->last_avail_idx;',
                               'return false;'),
    # Double fetches: use a second load of the descriptor after its check.
    'direct double fetch': ('ret = vq_add_buf(vq, w, &d);\n\t\tif (ret)\n'
                            '\t\t\treturn ret;\n\t\tif (!(d.flags & '
                            'VRING_DESC_F_NEXT))\n\t\t\treturn 0;\n\t\t'
                            'if (d.next >= size)',
                            'ret = vq_add_buf(vq, w, &d);\n\t\tif (ret)\n'
                            '\t\t\treturn ret;\n\t\tvq_fetch_desc('
                            '&vq->ring.desc[idx], &d);\n\t\tif (!(d.flags '
                            '& VRING_DESC_F_NEXT))\n\t\t\treturn 0;\n'
                            '\t\tif (d.next >= size)'),
    'indirect double read': ('ret = vq_add_buf(vq, w, &d);\n\t\tif (ret)\n'
                             '\t\t\treturn ret;\n\t\tif (!(d.flags & '
                             'VRING_DESC_F_NEXT))\n\t\t\treturn 0;\n\t\t'
                             'if (d.next >= n)',
                             'ret = vq_add_buf(vq, w, &d);\n\t\tif (ret)\n'
                             '\t\t\treturn ret;\n\t\tvq->mem->ops->read('
                             'vq->mem, gpa, &raw, sizeof(raw));\n\t\t'
                             'd.flags = le16_to_cpu(raw.flags);\n\t\t'
                             'd.next = le16_to_cpu(raw.next);\n\t\t'
                             'if (!(d.flags & VRING_DESC_F_NEXT))\n\t\t\t'
                             'return 0;\n\t\tif (d.next >= n)'),
    'indirect visited bitmap': ('if (visited[i / 64] & BIT_ULL(i % 64))',
                                'if (0)'),
}


def build_and_run(root, out, engine):
    """Build both test programs against @engine; return the names that failed."""
    tools = os.path.join(root, 'tools')
    common = ['-std=gnu11', '-O1', '-g', '-fsanitize=address,undefined',
              '-fno-sanitize-recover=all', '-DKVIRTIO_USER_QUIET',
              '-I' + os.path.join(tools, 'include'),
              '-I' + os.path.join(root, 'drivers/kvirtio'),
              '-I' + os.path.join(root, 'kunit'),
              '-I' + os.path.join(tools, 'tests')]
    corpus = os.path.join(tools, 'fuzz/corpus/fuzz_virtqueue')
    progs = {
        'KUnit suite': [os.path.join(root, 'kunit/virtqueue_test.c')],
        'test_virtqueue': [os.path.join(tools, 'tests/test_virtqueue.c')],
        'corpus replay': [os.path.join(tools, 'tests/corpus_replay.c'),
                          os.path.join(tools, 'fuzz/fuzz_virtqueue.c'),
                          '-DKVIRTIO_CORPUS_DIR="%s"' % corpus],
    }
    failed = []
    for name, srcs in progs.items():
        exe = os.path.join(out, name.replace(' ', '_'))
        subprocess.run(['gcc'] + common + ['-o', exe] + srcs +
                       [engine, os.path.join(root, 'kunit/kvirtio_test_mem.c')],
                       check=True)
        env = dict(os.environ, KVIRTIO_QUIET='1')
        r = subprocess.run([exe], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
        if r.returncode:
            failed.append(name)
    return failed


def main():
    root, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    src = open(os.path.join(root, 'drivers/kvirtio/virtqueue.c')).read()
    engine = os.path.join(out, 'virtqueue.c')
    n = bad = 0

    n += 1
    open(engine, 'w').write(src)
    if build_and_run(root, out, engine):
        bad += 1
        print('not ok %d - unmutated engine passes' % n)
    else:
        print('ok %d - unmutated engine passes' % n)
    for name, (text, repl) in MUTANTS.items():
        n += 1
        if src.count(text) != 1:
            bad += 1
            print('not ok %d - mutant "%s": text not found once' % (n, name))
            continue
        open(engine, 'w').write(src.replace(text, repl))
        failed = build_and_run(root, out, engine)
        if 'KUnit suite' in failed and len(failed) > 1:
            print('ok %d - mutant "%s" killed by %s' %
                  (n, name, ', '.join(failed)))
        else:
            bad += 1
            print('not ok %d - mutant "%s" survived (killed by: %s)' %
                  (n, name, ', '.join(failed) or 'nothing'))
        sys.stdout.flush()
    print('1..%d' % n)
    print('# %d passed, %d failed' % (n - bad, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
