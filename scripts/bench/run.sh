#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make bench`: QD1 latency of kvirtio's in-kernel virtio-blk against
# userspace backends, all inside one nested-testbed L1 run
# (Documentation/performance.rst); with --mode net, kvirtio's virtio-net
# against its userspace backend, QEMU and vhost-net instead.
#
#   scripts/bench/run.sh [options]
#
#   --mode blk|net     what to measure (default blk).  net: request-response
#                      latency, TCP stream and UDP packet rate of one-vCPU
#                      guests on a tap in L1 (tools/guest/kvnet), contenders
#                      knet,knet-inline,unet,qemu-net,qemu-vhost,qemu-vdpa
#                      (qemu-vdpa: QEMU's -netdev vhost-vdpa on a kvirtio
#                      net device of kvirtio_vdpa.ko), modes
#                      udp-rr,tcp-rr,tcp-tx,tcp-rx,udp-pps, no mq guest, no
#                      profile unless --profile names contenders (their
#                      UDP round trips, scripts/bench/net-profile.py);
#                      results in .build/bench/net
#   --secs S           net: seconds of each stream and flood (default 10)
#   --contenders LIST  comma-separated, in this order per round
#                      (default kernel,kinline,kinline-pio,kdirect,
#                      kdirect-pio,kpoll,user,user-pio,kvdpa,qemu,qemu-pio,qsd;
#                      "-pio": port I/O notify, the others MMIO notify;
#                      kdirect: kinline in direct mode, BAR0 and notify on
#                      KVM's buses.  L1 always runs kvm.ko rebuilt with
#                      patches/kvm, which only adds two exports, so every
#                      contender runs on the same KVM.  kvdpa: tools/vmm
#                      --vdpa on a kvirtio blk device of kvirtio_vdpa.ko
#                      through vhost-vdpa.  Not by default: kinline-intx
#                      and kdirect-intx, a pci=nomsi guest whose
#                      interrupts are INT A, port notify)
#   --no-qemu          leave QEMU and qemu-storage-daemon out of L1 and
#                      drop the "qemu", "qemu-pio" and "qsd" (vhost-user-blk)
#                      contenders
#   --rounds R         interleaved rounds (default 3); medians over rounds
#   --n N              measured requests per mode and guest (default 10000)
#   --warm W           warm-up requests (default 200)
#   --modes LIST       kvlat modes of the one-vCPU guest (default
#                      read,write,getid,read-qd16,write-qd16); a mode
#                      fio-RW[-ENGINE][-qdQ] runs Debian's fio instead
#                      (RW read|write, ENGINE io_uring unless named)
#   --fio              add fio-read,fio-read-libaio,fio-read-qd16 to the
#                      modes: the same requests from fio (4 KiB random,
#                      O_DIRECT, N of them), reported in a second table
#   --poll-queues      add the kpollq contender (kvirtio's worker busy-polls,
#                      the two-vCPU guest has one virtio_blk poll queue) and
#                      the mode fio-read-hipri (io_uring polling for its
#                      completions) for every contender: how close polling
#                      on both sides gets to no exit per request
#   --mq Q             requests in flight in the two-vCPU, two-queue guest
#                      (mode read-qdQ-mq2; default 16, 0: no such guest)
#   --profile LIST     contenders whose QD1 read path is traced after the
#                      rounds (default kinline,kinline-pio,user,qemu; "none":
#                      no profile)
#   --profile-n N      traced requests per contender (default 2000)
#   --poll US          busy-poll budget of the kpoll contender (default
#                      1000: under TCG the guest needs ~0.4 ms between a
#                      completion and its next request)
#   --timeout S        SIGKILL the L1 QEMU after S seconds
#   --no-build         reuse the last images in .build/bench
#   --report-only      only redo CSV/table/plot from .build/bench/serial.log
#
# Output in .build/bench: serial.log, results.csv (every statistic of every
# guest), summary.csv (medians), cdf.csv, fio.csv (fio's results), table.md,
# cdf.png; with a profile, trace.gz (L1's ftrace) and profile.md
# (scripts/bench/profile.py).
set -uo pipefail
KV_ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
BENCH_DIR=$KV_ROOT/scripts/bench
OUT=$KV_ROOT/.build/bench
# A private e2e build tree: the e2e engineer's runs rebuild theirs.
export E2E_BUILD=$OUT/e2e
. "$KV_ROOT/scripts/e2e/common.sh"

cont=kernel,kinline,kinline-pio,kdirect,kdirect-pio,kpoll,user,user-pio,kvdpa,qemu,qemu-pio,qsd with_qemu=1 rounds=3 n=10000 warm=200
modes=read,write,getid,read-qd16,write-qd16 mq=16 poll=1000 timeout=
build=1 report_only=0 prof=kinline,kinline-pio,user,qemu prof_set=0 profn=2000 fio=0
pollq=0 mode=blk secs=10 cont_set=0 modes_set=0
while [ $# -gt 0 ]; do
	case $1 in
	--mode)		mode=$2; shift ;;
	--secs)		secs=$2; shift ;;
	--contenders)	cont=$2; cont_set=1; shift ;;
	--with-qemu)	with_qemu=1 ;;
	--no-qemu)	with_qemu=0 ;;
	--rounds)	rounds=$2; shift ;;
	--n)		n=$2; shift ;;
	--warm)		warm=$2; shift ;;
	--modes)	modes=$2; modes_set=1; shift ;;
	--fio)		fio=1 ;;
	--poll-queues)	pollq=1 ;;
	--mq)		mq=$2; shift ;;
	--profile)	prof=$2; prof_set=1; shift ;;
	--profile-n)	profn=$2; shift ;;
	--poll)		poll=$2; shift ;;
	--timeout)	timeout=$2; shift ;;
	--no-build)	build=0 ;;
	--report-only)	report_only=1 ;;
	-h|--help)	sed -n '3,/^[^#]/{/^#/p}' "$0" | sed 's/^# \?//'; exit 0 ;;
	*)		e2e_die "unknown option $1" ;;
	esac
	shift
done
case $mode in
blk)	;;
net)
	# The same L1 and L2 images; one one-vCPU guest per contender and
	# round, traced only for the contenders --profile names.
	[ $cont_set -eq 1 ] || cont=knet,knet-inline,unet,qemu-net,qemu-vhost,qemu-vdpa
	[ $modes_set -eq 1 ] || modes=udp-rr,tcp-rr,tcp-tx,tcp-rx,udp-pps
	[ $prof_set -eq 1 ] || prof=none
	mq=0 fio=0 pollq=0
	OUT_RES=$OUT/net
	;;
*)	e2e_die "--mode wants blk or net" ;;
esac
case $secs in ''|0|*[!0-9]*) e2e_die "--secs wants a positive number" ;; esac
if [ $with_qemu -eq 0 ]; then
	cont=$(echo "$cont" | tr ',' '\n' | grep -vxE 'qemu|qemu-pio|qsd|qemu-net|qemu-vhost|qemu-vdpa' | paste -sd,)
	[ -n "$cont" ] || e2e_die "no contender left without QEMU"
fi
case ,$cont, in *,qemu,*|*,qemu-pio,*|*,qsd,*|*,qemu-net,*|*,qemu-vhost,*|*,qemu-vdpa,*) with_qemu=1 ;; esac
[ "$prof" = none ] && prof=
if [ $with_qemu -eq 0 ]; then
	prof=$(echo "$prof" | tr ',' '\n' | grep -vxE 'qemu|qemu-pio|qsd|qemu-net|qemu-vhost|qemu-vdpa' | paste -sd,)
fi
case $profn in ''|*[!0-9]*) e2e_die "--profile-n wants a number" ;; esac
[ $fio -eq 1 ] && modes=$modes,fio-read,fio-read-libaio,fio-read-qd16
if [ $pollq -eq 1 ]; then
	modes=$modes,fio-read-hipri
	case ,$cont, in
	*,kpollq,*) ;;
	*,kpoll,*) cont=$(echo "$cont" | sed 's/\(^\|,\)kpoll\(,\|$\)/\1kpoll,kpollq\2/') ;;
	*) cont=$cont,kpollq ;;
	esac
fi
# fio and its libraries (about 84 MB, 36 MB gzipped: librbd, libgfapi and
# the rest of what Debian links it with) go into L2 only when a mode
# needs them: every L2 boot unpacks them.
with_fio=0
case ,$modes, in *,fio-*) with_fio=1 ;; esac
case $mq in ''|*[!0-9]*) e2e_die "--mq wants a number" ;; esac
# Results (log, CSV, table, plot) of a net run go to their own
# directory, so that they do not replace the last blk run's.
RES=${OUT_RES:-$OUT}
log=$RES/serial.log
mkdir -p "$OUT" "$RES"

# Debian's python3 (python3-matplotlib is installed for it), not
# whatever python3 comes first in PATH.
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
report()
{
	if $PY -c 'import matplotlib' 2>/dev/null; then
		$PY "$BENCH_DIR/report.py" --out "$RES" "$log"
	else
		echo "bench: python3-matplotlib missing (scripts/deps.sh bench): no plot"
		$PY "$BENCH_DIR/report.py" --no-plot --out "$RES" "$log"
	fi
	if [ -s "$RES/trace.gz" ]; then
		if [ $mode = net ]; then
			# The window holds the warm-up round trips too.
			$PY "$BENCH_DIR/net-profile.py" "$RES/trace.gz" $((profn + warm))
		else
			$PY "$BENCH_DIR/profile.py" "$RES/trace.gz"
		fi > "$RES/profile.md" && cat "$RES/profile.md"
	fi
}
[ $report_only -eq 1 ] && { report; exit; }

nc=$(echo "$cont" | tr ',' '\n' | grep -c .)
nm=$(echo "$modes" | tr ',' '\n' | grep -c .)
# Per guest: ~40 s of boot under L1 (a few more to unpack fio), 2 s of marks
# or fio's start per mode, plus the requests (~1 ms each under TCG, worse
# when the host is busy); L1 itself ~60 s.  With --mq, a second guest per
# contender and round.
ng=1
[ "$mq" -gt 0 ] && ng=2
np=$(echo "$prof" | tr ',' '\n' | grep -c .)
boot=$((60 + with_fio * 10))
[ -n "$timeout" ] || timeout=$((120 + rounds * nc * (ng * boot + (nm + ng - 1) * (2 + n / 1000)) +
	np * (boot + profn / 100)))
# net: per guest the boot, two request-response modes (4-7 ms a round
# trip under nested TCG), and a stream or flood of $secs plus its marks.
[ $mode = net ] && timeout=$((120 + rounds * nc * (boot + nm * (secs + 6) + 2 * n / 150) +
	np * (boot + 6 + 2 * profn / 150)))

if [ $build -eq 1 ]; then
	"$KV_ROOT/scripts/deps.sh" bench || e2e_say "bench: some packages missing (see above)"
	# Reuse the e2e download instead of fetching the 100 MB image again.
	if [ ! -e "$E2E_BUILD/download" ] && [ -d "$KV_ROOT/.build/e2e/download" ]; then
		mkdir -p "$E2E_BUILD/download"
		cp "$KV_ROOT/.build/e2e/download/"*.deb "$E2E_BUILD/download/" 2>/dev/null
	fi
	"$E2E_DIR/fetch.sh" || exit 1
	opts=(--patched-kvm)
	[ $with_qemu -eq 1 ] && opts+=(--with-qemu)
	"$E2E_DIR/l1-initramfs.sh" "${opts[@]}" || exit 1

	# kvlat and the bench inits on top of the e2e images: the kernel
	# unpacks concatenated cpio archives in order, and rdinit= picks our
	# init.
	e2e_say "building tools/guest/kvlat (static)"
	mkdir -p "$OUT/guest"
	gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -static -pthread \
		-o "$OUT/guest/kvlat" "$KV_ROOT/tools/guest/kvlat.c" || exit 1
	# kvnet (both ends of the net modes) and the modules the net mode
	# needs, whether or not the e2e images carry them: tun and vhost_net
	# in L1, virtio_net in L2, in /bench/netmod with their own load order.
	# Only a net run needs them; a blk run goes on without kvnet.
	kvnet=
	if [ -f "$KV_ROOT/tools/guest/kvnet.c" ]; then
		e2e_say "building tools/guest/kvnet (static)"
		if gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -static -pthread \
			-o "$OUT/guest/kvnet" "$KV_ROOT/tools/guest/kvnet.c"; then
			kvnet=$OUT/guest/kvnet
		fi
	fi
	[ -n "$kvnet" ] || [ $mode != net ] || e2e_die "no kvnet: tools/guest/kvnet.c missing or not building"
	netmod()	# ROOT MODULES...: into ROOT/bench/netmod
	{
		local root=$1 tmp=$OUT/netmod.tmp
		shift
		rm -rf "$tmp"
		e2e_install_modules "$tmp" "$@"
		mkdir -p "$root/bench"
		mv "$tmp/lib/modules" "$root/bench/netmod"
		rm -rf "$tmp"
	}
	ov=$OUT/l2-overlay
	rm -rf "$ov"
	mkdir -p "$ov/bin" "$ov/bench"
	cp "$OUT/guest/kvlat" "$ov/bin/kvlat"
	if [ -n "$kvnet" ]; then
		cp "$kvnet" "$ov/bin/kvnet"
		netmod "$ov" virtio_net
	fi
	install -m 0755 "$BENCH_DIR/l2-init" "$ov/bench/l2-init"
	if [ $with_fio -eq 1 ]; then
		f=$(command -v fio) || e2e_die "fio missing (scripts/deps.sh bench)"
		e2e_install_bin "$ov" "$f"
		cp "$BENCH_DIR/fio-json.awk" "$ov/bench/"
		e2e_say "fio for L2: $f $(dpkg-query -W -f='${Version}' fio 2>/dev/null), $(du -sk "$ov" | cut -f1) KiB with kvlat"
	fi
	e2e_pack "$ov" "$OUT/l2-overlay.gz"
	ov=$OUT/l1-overlay
	rm -rf "$ov"
	mkdir -p "$ov/bench"
	install -m 0755 "$BENCH_DIR/l1-init" "$ov/bench/l1-init"
	if [ -n "$kvnet" ]; then
		mkdir -p "$ov/bin"
		cp "$kvnet" "$ov/bin/kvnet"
		netmod "$ov" tun vhost_net
	fi
	if [ $with_qemu -eq 1 ]; then
		qsd=$(command -v qemu-storage-daemon) ||
			e2e_die "qemu-storage-daemon missing (package qemu-system-x86)"
		e2e_install_bin "$ov" "$qsd"
	fi
	cat "$E2E_OUT/l2-initrd.gz" "$OUT/l2-overlay.gz" > "$ov/bench/l2-initrd.gz"
	e2e_say "bench L2 initramfs: $(du -k "$ov/bench/l2-initrd.gz" | cut -f1) KiB"
	e2e_pack "$ov" "$OUT/l1-overlay.gz"
	cat "$E2E_OUT/l1-initrd-pkvm.gz" "$OUT/l1-overlay.gz" > "$OUT/l1-initrd.gz"
fi
krel=$(e2e_krel)
kernel=$E2E_KERNEL/boot/vmlinuz-$krel
[ -r "$kernel" ] && [ -r "$OUT/l1-initrd.gz" ] || e2e_die "no images: run without --no-build"

mem=2048
[ $with_qemu -eq 1 ] && mem=3072
append="console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/bench/l1-init kvb.bench=$mode kvb.secs=$secs kvb.cont=$cont kvb.rounds=$rounds kvb.n=$n kvb.warm=$warm kvb.modes=$modes kvb.poll=$poll kvb.mq=$mq kvb.prof=$prof kvb.profn=$profn"
e2e_say "bench: L1 under QEMU TCG; $mode, contenders $cont, $rounds rounds, $n requests per mode ($modes; mq $mq); timeout ${timeout}s"
start=$(date +%s)
rm -f "$RES/trace.gz" "$RES/profile.md"
# L1 prints lines for every guest, and kills a guest after 300 s: a
# console silent for $quiet s means L1 itself stopped (seen once under
# nested TCG, in round 3 of a full run).  Kill it then, and report what
# finished, instead of waiting for the whole run's timeout.
quiet=900
(
	while sleep 30; do
		[ -e "$log" ] || continue
		age=$(($(date +%s) - $(stat -c %Y "$log")))
		[ "$age" -ge "$quiet" ] || continue
		echo "bench: L1's console silent for $age s: killing L1"
		pkill -KILL -f -- "-initrd $OUT/l1-initrd.gz"
		break
	done
) &
watchdog=$!
# The profile's trace leaves L1 on its second serial port.
e2e_boot_l1 "$timeout" $mem "$kernel" "$OUT/l1-initrd.gz" "$append" "$log" \
	-serial mon:stdio -serial "file:$RES/trace.gz" |
	while IFS= read -r line; do
		case $line in
		"BENCH "*" KVLAT OK"*|"BENCH "*" FIO OK"*|"BENCH "*" KVNET "*OK*|"BENCH VM"*|"BENCH L1"*|*FAIL*|"BENCH TAIL"*)
			printf '[%4ds] %s\n' $(($(date +%s) - start)) "$line" | cut -c1-200 ;;
		esac
	done
qrc=${PIPESTATUS[0]}
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
e2e_say "bench: L1 ended after $(($(date +%s) - start)) s (qemu rc=$qrc)"
grep -q '^BENCH L1 DONE' "$log" || echo "bench: L1 did not finish (timeout or crash); reporting what it printed"
report
