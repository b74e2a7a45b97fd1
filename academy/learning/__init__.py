"""The trainee's journey: learning path, module work, knowledge checks, lab evidence."""
