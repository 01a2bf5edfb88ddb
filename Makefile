# ChargeOps build. `make` builds build/chargeops; `make test` runs every unit,
# integration and browser test; `make demo` starts the platform with simulated chargers.
# `make SANITIZE=1 ...` builds and tests with AddressSanitizer + UBSan (in build-san/).

PKGS := libwebsockets jansson sqlite3 libssl libcrypto libuv
TEST_PKGS := cmocka

# Install missing Debian packages before anything needs them.
DEPS_OK := $(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo yes)
ifneq ($(DEPS_OK),yes)
$(info deps: some packages are missing; running scripts/deps.sh)
$(shell scripts/deps.sh build >&2)
endif
# XGBoost's C API (Debian libxgboost-dev) has no pkg-config file: test for its header.
ifeq ($(wildcard /usr/include/xgboost/c_api.h),)
$(info deps: xgboost/c_api.h is missing; running scripts/deps.sh)
$(shell scripts/deps.sh build >&2)
endif

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
CSTD := -std=c17 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wno-unused-parameter -Wformat=2
OPT ?= -O2 -g
BUILD := build
ifeq ($(SANITIZE),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
BUILD := build-san
endif

CFLAGS += $(CSTD) $(WARN) $(OPT) -Isrc -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lxgboost -lpthread -lm
LDFLAGS += $(LDSAN)

# Library objects: everything under src/ except main.c; shared by the binary and tests.
LIB_SRCS := $(sort $(wildcard src/util/*.c src/ocpp/*.c src/net/*.c src/csms/*.c src/store/*.c src/api/*.c src/sim/*.c src/diag/*.c src/maint/*.c src/ledger/*.c src/predict/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
BIN := $(BUILD)/chargeops

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit integration browser demo lint clean format deps web-vendor
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libchargeops.a: $(LIB_OBJS)
	@rm -f $@
	ar rcsT $@ $^

$(BIN): $(BUILD)/src/main.o $(BUILD)/libchargeops.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libchargeops.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< $(BUILD)/libchargeops.a $(LDLIBS) $(shell pkg-config --libs cmocka)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: $(BIN)
	@scripts/deps.sh test
	@cd tests/integration && npm ci --no-audit --no-fund --silent
	CHARGEOPS_BIN=$(abspath $(BIN)) node --test $$(node --test-concurrency=1 -e 0 2>/dev/null && echo --test-concurrency=1) tests/integration/

# Browser tests: the web console in Debian's Chromium (playwright-core), against the real server.
browser: $(BIN) web-vendor
	@scripts/deps.sh browser
	@cd tests/browser && npm ci --no-audit --no-fund --silent
	CHARGEOPS_REQUIRE_LIVE=1 CHARGEOPS_REQUIRE_STATIC=1 CHARGEOPS_BIN=$(abspath $(BIN)) node --test $$(node --test-concurrency=1 -e 0 2>/dev/null && echo --test-concurrency=1) tests/browser/

test: unit integration browser

# The console's libraries (uPlot): installed from web/package-lock.json and copied into
# web/vendor/ (built, not committed), again only when the lock file is newer.
web-vendor: web/vendor
web/vendor: web/package-lock.json
	@scripts/deps.sh web
	cd web && npm ci --no-audit --no-fund --silent && node scripts/vendor.mjs && touch vendor

demo: $(BIN) web-vendor
	@scripts/deps.sh build
	scripts/demo.sh $(BIN)

lint:
	@scripts/lint.sh

format:
	clang-format -i $(LIB_SRCS) src/main.c src/*/*.h

clean:
	rm -rf build build-san

-include $(LIB_OBJS:.o=.d) $(BUILD)/src/main.d
