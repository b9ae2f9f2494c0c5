/** Refusals about a configuration file pvefix would write: it cannot be made right. */
import { entry, onNode } from "./entry.js";

export const configRefusals = {
  "invalid-config": entry<
    | { file: string; problem: string; case: "no-new-content" }
    | { file: string; problem: string; case: "new-content-unusable" }
    | { file: string; node: string; problem: string; case: "cannot-merge"; adding: string }
  >("the file to write cannot be made valid", (d) => {
    switch (d.case) {
      case "no-new-content":
        return { message: `No new content for ${d.file}`, detail: d.problem };
      case "new-content-unusable":
        return { message: `The new ${d.file} is not usable`, detail: d.problem };
      case "cannot-merge":
        return {
          message: `Cannot add ${d.adding} to ${d.file} on ${d.node}`,
          detail: `${d.problem}; fix the file by hand`,
          ...onNode(d.node),
        };
    }
  }),
};
