/** Setup of the unit project: no real waits. */
import { zerotierSampling } from "../../src/pve/probes/zerotier.js";

// The lab's looping zerotier-one grows per `ps` sample, not per second: take the two samples back to back.
zerotierSampling.intervalMs = 0;
