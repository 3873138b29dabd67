#!/usr/bin/env node
'use strict'
// The `lsm-level` command of package.json's `bin`. Plain JavaScript on purpose: the package
// ships the compiled dist/, so the tool runs without a build step at install.
require('../../dist/lib/cli/main.js').run()
