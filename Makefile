# fercam: `make run` and `make test` are all a newcomer needs (Debian 12).
SHELL := /bin/bash
.DEFAULT_GOAL := run

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT_PACKAGES := opencv-data ffmpeg libsdl2-dev libsdl2-image-dev libsdl2-ttf-dev fonts-dejavu-core \
                libdnnl-dev libv4l-dev pkg-config python3-venv
SHARED ?= $(abspath ../shared)
FACES := $(SHARED)/data/faces
BIN := .build/release/fercam
REF_VENV := .venv-ref
TRAIN_VENV := .venv-train
PY_REF := $(REF_VENV)/bin/python

.PHONY: blazeface-convert blazeface-fixtures bench-blazeface deps build run test fuzz soak train-smoke bench bench-detect bench-model screenshot reference-setup golden train-setup train teacher export clean install-udev install uninstall install-build manual

## make install: PREFIX and DESTDIR as usual; UDEV=1 also installs the camera rules (under DESTDIR/etc).
PREFIX ?= /usr/local
UDEV ?= 0
MODEL := fercam-resnet-cbam.safetensors
# Every exported seed system ships: its weights and its posed-photo score (read by `fercam models`).
MODELS := $(notdir $(wildcard assets/fercam-*.safetensors assets/fercam-*.posed.json)) \
          detector-blazeface.safetensors detector-blazeface-full.safetensors LICENSE.mediapipe
INSTALL_BIN := .build-install/release/fercam
MANUAL := .build/plugins/GenerateManual/outputs/fercam/fercam.1
UDEV_RULE := /etc/udev/rules.d/70-fercam-camera.rules
# Everything `make install` puts under $(DESTDIR)$(PREFIX), and so everything `make uninstall` removes.
INSTALLED := bin/fercam $(addprefix share/fercam/,$(MODELS)) share/fercam/MODEL.md share/man/man1/fercam.1 \
             share/bash-completion/completions/fercam share/zsh/site-functions/_fercam \
             share/fish/vendor_completions.d/fercam.fish
# A system install (no DESTDIR) copies with sudo when not root; the build itself never runs as root for it.
INSTALL_SUDO := $(if $(DESTDIR),,$(SUDO))

## Install the Debian packages that are missing (non-interactive; sudo only when not root).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

build: deps
	swift build -c release --product fercam

## Live view from the camera; without one, fercam explains how to replay a file (exit 3 is that case).
run: build
	@$(BIN) $(ARGS); rc=$$?; \
	if [ $$rc -eq 3 ]; then echo 'fercam is $(BIN); through make: make run ARGS="--input clip.y4m"'; fi; \
	[ $$rc -eq 0 ] || [ $$rc -eq 3 ]

## Everything under test. The Haar parity test needs the grey images OpenCV saw and the BlazeFace parity test its
## 640x480 frames, both written by reference scripts with OpenCV.
test: deps
	@if [ -d "$(FACES)" ]; then $(MAKE) --no-print-directory reference-setup && \
	  $(PY_REF) scripts/reference/haar_golden.py --faces "$(FACES)" --gray-out .cache/faces-gray && \
	  $(PY_REF) scripts/blazeface/reference.py --frames-out .cache/blazeface-frames; \
	else echo "note: $(FACES) is absent; tests that need the shared data will be skipped"; fi
	swift test -c release
	scripts/install-test.sh

## BlazeFace (issue 33, docs/detectors.md): MediaPipe 0.10.14's wheel, unpacked, in a venv of its own.
MP_VENV := .venv-mp
MP_WHEEL := .cache/mediapipe-wheel
$(MP_VENV)/.installed: scripts/blazeface/requirements.txt
	python3 -m venv $(MP_VENV)
	$(MP_VENV)/bin/pip install -q --disable-pip-version-check -r scripts/blazeface/requirements.txt
	mkdir -p $(MP_WHEEL) && cd $(MP_WHEEL) && ../../$(MP_VENV)/bin/pip download -q --no-deps mediapipe==0.10.14 && \
	  python3 -m zipfile -e mediapipe-0.10.14-*.whl .
	$(MP_VENV)/bin/pip install -q --disable-pip-version-check --no-deps $(MP_WHEEL)/mediapipe-0.10.14-*.whl
	touch $@

## Converts the two TFLite detectors into assets/detector-*.safetensors (checked against TFLite on the way).
blazeface-convert: $(MP_VENV)/.installed
	$(MP_VENV)/bin/python scripts/blazeface/convert.py $(MP_WHEEL) assets
	cp $(MP_WHEEL)/mediapipe-0.10.14.dist-info/LICENSE assets/LICENSE.mediapipe

## MediaPipe's detections on the parity frames (Tests/BlazeFaceTests/Fixtures/blazeface-parity.json).
blazeface-fixtures: $(MP_VENV)/.installed
	$(MP_VENV)/bin/python scripts/blazeface/reference.py --frames-out .cache/blazeface-frames \
	  --fixture Tests/BlazeFaceTests/Fixtures/blazeface-parity.json

## fercam's BlazeFace against MediaPipe's pipeline, one core each (docs/benchmarks.md).
bench-blazeface: build $(MP_VENV)/.installed
	$(MP_VENV)/bin/python scripts/blazeface/reference.py --frames-out .cache/blazeface-frames
	$(MP_VENV)/bin/python scripts/blazeface/bench.py --json .cache/bench-blazeface.json

## libFuzzer harnesses for every parser of untrusted bytes (docs/reliability.md): each runs FUZZ_SECONDS
## (default 180); a crash, leak, timeout or out-of-memory fails, its input kept in .cache/fuzz/findings.
FUZZ_SECONDS ?= 180
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz/run.sh

## An hour of synthetic 640x480 video through the whole pipeline at full speed; resident memory must stay flat.
soak: build
	scripts/soak.sh

$(REF_VENV)/.installed: scripts/reference/requirements.txt
	python3 -m venv $(REF_VENV)
	$(REF_VENV)/bin/pip install -q --disable-pip-version-check -r scripts/reference/requirements.txt
	touch $@

reference-setup: deps $(REF_VENV)/.installed

## Regenerate the committed parity fixture from OpenCV 4.x.
golden: reference-setup
	$(PY_REF) scripts/reference/haar_golden.py --faces "$(FACES)" --gray-out .cache/faces-gray \
	  --fixture Tests/FaceDetectionTests/Fixtures/haar_golden.json

## Speed against the references, in one run each (see docs/benchmarks.md).
bench: bench-detect bench-model

## Detector: OpenCV detectMultiScale vs fercam on the same frames.
bench-detect: build reference-setup
	$(PY_REF) scripts/reference/bench_detect.py --faces "$(FACES)" --fercam $(BIN) --json .cache/bench-detect.json

## Expression model: PyTorch and ONNX Runtime vs fercam's oneDNN engine, one thread.
bench-model: build train-setup
	$(TRAIN_VENV)/bin/python scripts/reference/bench_model.py --fercam $(BIN) --json .cache/bench-model.json

## docs/screenshot.png: the real window under Xvfb, replaying a stream made from ../shared/data/faces.
screenshot: build
	@missing=""; for p in xvfb imagemagick; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; fi
	scripts/screenshot.sh "$(FACES)" docs/screenshot.png

## The installed binary: release, with the Swift runtime linked in, so it does not need the toolchain.
install-build: deps
	swift build -c release --product fercam --static-swift-stdlib --scratch-path .build-install

## The man page, generated from the command-line definitions (swift-argument-parser's plugin).
manual: deps
	swift package --allow-writing-to-package-directory generate-manual --authors "the fercam developers"

## Binary, model, man page and bash/zsh/fish completions under $(DESTDIR)$(PREFIX); see README.
install: install-build manual
	@set -e; d="$(DESTDIR)$(PREFIX)"; s="$(INSTALL_SUDO)"; \
	$$s install -D -s -m 755 $(INSTALL_BIN) "$$d/bin/fercam"; \
	for m in $(MODELS); do $$s install -D -m 644 "assets/$$m" "$$d/share/fercam/$$m"; done; \
	$$s install -D -m 644 assets/MODEL.md "$$d/share/fercam/MODEL.md"; \
	$$s install -D -m 644 $(MANUAL) "$$d/share/man/man1/fercam.1"; \
	completions=$$(mktemp -d); trap 'rm -rf "$$completions"' EXIT; \
	for shell in bash zsh fish; do $(INSTALL_BIN) --generate-completion-script $$shell > "$$completions/$$shell"; done; \
	$$s install -D -m 644 "$$completions/bash" "$$d/share/bash-completion/completions/fercam"; \
	$$s install -D -m 644 "$$completions/zsh" "$$d/share/zsh/site-functions/_fercam"; \
	$$s install -D -m 644 "$$completions/fish" "$$d/share/fish/vendor_completions.d/fercam.fish"; \
	if [ "$(UDEV)" = 1 ]; then $$s install -D -m 644 udev/70-fercam-camera.rules "$(DESTDIR)$(UDEV_RULE)"; fi; \
	echo "installed fercam in $$d ('make uninstall PREFIX=$(PREFIX)' removes it)"

## Removes exactly what `make install` put there (the udev rule too, if it was installed).
uninstall:
	@d="$(DESTDIR)$(PREFIX)"; s="$(INSTALL_SUDO)"; \
	for f in $(INSTALLED); do $$s rm -f "$$d/$$f"; done; \
	$$s rmdir "$$d/share/fercam" 2>/dev/null || true; \
	if [ -f "$(DESTDIR)$(UDEV_RULE)" ]; then $$s rm -f "$(DESTDIR)$(UDEV_RULE)"; fi; \
	echo "removed fercam from $$d"

## Camera access for the logged-in user and stable /dev/fercam/* names (see README).
install-udev:
	$(SUDO) install -m 644 udev/70-fercam-camera.rules /etc/udev/rules.d/70-fercam-camera.rules
	$(SUDO) udevadm control --reload-rules
	$(SUDO) udevadm trigger --subsystem-match=video4linux

$(TRAIN_VENV)/.installed: training/requirements.txt
	python3 -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install -q --disable-pip-version-check -r training/requirements.txt
	touch $@

train-setup: $(TRAIN_VENV)/.installed

## Train the shipped expression model: ResNet-CBAM on FER2013's labels, RAF-DB's training split and ExpW, the
## last two cropped through the Haar detector (training/sources.py; 10% of each held out, training/splits/), in two
## stages: 48-pixel faces at full width into training/runs/main-48 (EPOCHS), then that network narrowed to
## 16,32,64,160 channels and fine-tuned on 64-pixel faces twice (NARROW_EPOCHS; the larger input at the cost of the
## smaller), toward FER2013's labels (main-64-labels) and toward FER+ votes (main-64-votes), and the two runs'
## weights averaged into training/runs/main (training/soup.py; docs/training-log.md). RESUME=1 continues any run,
## DEVICE=cuda trains on a GPU, TRAIN_FLAGS=... adds flags to all three. ARCH=NAME trains a seed system
## (resnet-cbam, lbp-attention, cnn-alstm, deep-emotion, manet; training/arch/) into training/runs/NAME under the
## comparison protocol of docs/seed-systems.md (FER2013 alone, FER+ votes); ABLATE=1 trains it without its attention
## component into training/runs/NAME-ablated. `make teacher` trains the MANet teacher of the FER2013-only default.
# The schedules the shipped files trained with (the default: 2026-12-06 on the CPU; seed systems: the GPU sweeps of
# 2026-12-04, training/sweeps/).
EPOCHS ?= $(if $(ARCH),57,20)
NARROW_EPOCHS ?= 8
WIDE_RUN = training/runs/main-48
# Stage 2: the wide run narrowed to the widths a 64-pixel input affords (training/narrow.py), fine-tuned.
NARROW = --init $(WIDE_RUN)/best.pt --input-size 64 --widths 16,32,64,160 --epochs $(NARROW_EPOCHS) --lr 2e-3
TEACHER_RUN = training/runs/manet-fer2013
RUN_FLAGS = $(if $(RESUME),--resume) $(if $(DEVICE),--device $(DEVICE)) $(TRAIN_FLAGS)
TRAIN = $(TRAIN_VENV)/bin/python -m training.train --data "$(SHARED)/data/fer2013" --shared-data "$(SHARED)/data"
train: train-setup
ifeq ($(ARCH),)
	$(TRAIN) --out $(WIDE_RUN) --label-mix 0 --epochs $(EPOCHS) $(RUN_FLAGS)
	$(TRAIN) --out training/runs/main-64-labels --label-mix 0 $(NARROW) $(RUN_FLAGS)
	$(TRAIN) --out training/runs/main-64-votes --label-mix 1 $(NARROW) $(RUN_FLAGS)
	$(TRAIN_VENV)/bin/python -m training.soup --out training/runs/main training/runs/main-64-labels \
	  training/runs/main-64-votes
else
	$(TRAIN) --out training/runs/$(ARCH)$(if $(ABLATE),-ablated) --arch $(ARCH) --sources none \
	  --epochs $(EPOCHS) $(if $(ABLATE),--ablate) $(RUN_FLAGS)
endif

teacher: train-setup $(TEACHER_RUN)/complete

# The teacher: MANet (seed 004) on FER2013's labels, 102 epochs. `complete` marks a finished schedule, since
# best.pt exists from the first epoch on.
$(TEACHER_RUN)/complete:
	$(MAKE) train-setup
	$(TRAIN_VENV)/bin/python -m training.train --data "$(SHARED)/data/fer2013" --out $(TEACHER_RUN) \
	  --arch manet --label-mix 0 --sources none --epochs 102 $(RUN_FLAGS)
	touch $@

## Every architecture checked (shapes, budget), then a one-epoch run on 1,024 faces (ARCH=NAME: that seed system) into
## .cache/train-smoke-NAME: the training code end to end in minutes (not part of `make test`: it needs PyTorch).
train-smoke: train-setup
	$(TRAIN_VENV)/bin/python -m training.arch.check
	$(TRAIN_VENV)/bin/python -m unittest training.test_sources training.test_soup training.test_paired training.test_colour training.test_sweep \
	  training.test_class_weights training.test_model_card
	$(TRAIN_VENV)/bin/python -m training.train --data "$(SHARED)/data/fer2013" --out .cache/train-smoke-$(if $(ARCH),$(ARCH),main) \
	  --epochs 1 --subset 1024 $(if $(ARCH),--arch $(ARCH) --sources none)

## Export the best checkpoint to assets/ (safetensors + ONNX, fixtures), score it with fercam's own engine on the
## posed photographs (assets/fercam-NAME.posed.json, read by `fercam models`). The default model also gets FER2013
## val against both label sets with its reliability diagram, and the model card; its logits lose the class
## weighting's log-prior shift (--logit-adjust 1, docs/training-log.md) and it states its crop, margin 0 (chosen on
## every validation source, docs/expression-model.md). ARCH=NAME exports a seed system
## from training/runs/NAME (ARCH=resnet-cbam: to fercam-resnet-cbam-comparison, beside the shipped model).
# ARCH=resnet-cbam is the comparison run of that architecture, exported beside the shipped model, never over it.
EXPORT_NAME = fercam-$(if $(ARCH),$(ARCH)$(if $(filter resnet-cbam,$(ARCH)),-comparison),resnet-cbam)
export: train-setup build
	$(TRAIN_VENV)/bin/python -m training.export --checkpoint training/runs/$(if $(ARCH),$(ARCH),main)/best.pt \
	  --data "$(SHARED)/data/fer2013" --name $(EXPORT_NAME) $(if $(ARCH),,--logit-adjust 1 --margin 0)
	$(BIN) eval "$(SHARED)/data/expressions/taiwanese" --detect --json --model assets/$(EXPORT_NAME).safetensors \
	  > assets/$(EXPORT_NAME).posed.json
ifeq ($(ARCH),)
	$(BIN) eval "$(SHARED)/data/fer2013/val" --labels "$(SHARED)/data/fer2013/ferplus.csv" --json \
	  --reliability assets/reliability.png > assets/eval-val.json
	$(TRAIN_VENV)/bin/python -m training.evaluate_sources --fercam $(BIN) --data "$(SHARED)/data" \
	  --model assets/$(EXPORT_NAME).safetensors --out assets/eval-sources.json
	$(TRAIN_VENV)/bin/python -m training.model_card
endif

clean:
	rm -rf .build .cache
