// A form's inputs by field name, bound to the element that summarises its problems: read and fill
// values, and show a FieldChecks (aria-invalid on every checked input, and one line per problem
// naming the field by its label's text, "Steps: must be between 1 and 1000000").

// The text a field's <label> starts with (as dom.field builds it).
export function labelOf(input) {
  return input.closest('label').firstChild.textContent;
}

export function bindForm(inputs, summary) {
  const form = {
    inputs,

    // The raw values of the named inputs ({name: text}; a checkbox gives its checked state).
    values(names = Object.keys(inputs)) {
      return Object.fromEntries(names.map((name) => {
        const input = inputs[name];
        return [name, input.type === 'checkbox' ? input.checked : input.value];
      }));
    },

    // Sets each named input (null/undefined as empty) and clears its invalid mark.
    fill(values) {
      for (const [name, value] of Object.entries(values)) {
        inputs[name].value = value === undefined || value === null ? '' : String(value);
        inputs[name].setAttribute('aria-invalid', 'false');
      }
    },

    // aria-invalid on each input the checks looked at, without touching the summary.
    mark(checks) {
      for (const { name, problem } of checks.results) inputs[name].setAttribute('aria-invalid', problem ? 'true' : 'false');
    },

    // Shows messages in the summary (focused so that a screen reader reads them); true when there are none.
    fail(messages) {
      summary.textContent = messages.length ? `Please fix:\n${messages.join('\n')}` : '';
      if (messages.length) summary.focus();
      return messages.length === 0;
    },

    // Marks the inputs and shows the problems; true when every check passed.
    report(checks) {
      form.mark(checks);
      return form.fail(checks.problems.map(({ name, problem }) => `${labelOf(inputs[name])}: ${problem}`));
    },

    clearSummary() { summary.textContent = ''; },
  };
  return form;
}
