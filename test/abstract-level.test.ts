// The abstract-level compliance suite, unedited, with every capability classic-level
// declares. It runs on the root database and again on a sublevel.

import test = require('tape')
import { LsmLevel } from '../index'
import { tempLocation } from './support/temp'

const suite = require('abstract-level/test')

suite({
  test,
  factory (options?: Record<string, unknown>) {
    return new LsmLevel(tempLocation(), options)
  }
})
