/** The reason field of a cancel or retry: recorded in the job's history when given. */
import { useState } from "preact/hooks";

/** The text typed, and the reason to send (undefined when only spaces). */
export const useReason = (): {
  readonly text: string;
  readonly why: string | undefined;
  readonly set: (text: string) => void;
} => {
  const [text, set] = useState("");
  return { text, why: text.trim() === "" ? undefined : text.trim(), set };
};

export const ReasonField = ({
  label,
  reason,
}: {
  readonly label: string;
  readonly reason: ReturnType<typeof useReason>;
}) => (
  <label>
    {label}{" "}
    <input
      name="reason"
      value={reason.text}
      maxLength={1000}
      onInput={(e) => reason.set(e.currentTarget.value)}
    />
  </label>
);
