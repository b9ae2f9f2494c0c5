/** A scenario: a named, described way of (mis)configuring the lab cluster. One module each. */
import type { LabState } from "../state.js";

export interface Scenario {
  /** kebab-case, used by `pvefix lab reset --scenario <name>`. */
  name: string;
  /** One line: what is broken and what to practise. */
  description: string;
  build(): LabState;
  /**
   * Files an operator of this scenario has at hand on their own machine, by the name a runbook's
   * examples give (`--file corosync.conf.fixed`), from the built state: the runbook contract plans
   * those examples with them.
   */
  operatorFiles?(state: LabState): Record<string, string>;
}
