# Reproduce growapp's report from this export: for every metric, week (and stratum) the
# difference of each recipe to the control in change from baseline, on tray means.
#
# Each tray is one unit. A plant's change is its week-N value minus its week-0 value; a
# tray's response is the mean change of its plants; lm() on the tray means with the
# recipe as factor (control = reference) gives t intervals on trays - recipes degrees of
# freedom; p-values are Holm-adjusted across the recipes of one fit.
#
#   Rscript reproduce_report.R [category|grade] > contrasts.csv
#
# Base R only. Run it in the folder that holds metrics.csv, metric_definitions.csv and
# design.json.

args <- commandArgs(trailingOnly = TRUE)
split <- if (length(args) > 0) args[1] else ""

metrics <- read.csv("metrics.csv", colClasses = "character", na.strings = character(0))
design <- readLines("design.json", warn = FALSE)
control <- sub('.*"control": "([^"]+)".*', "\\1",
               grep('"control": "', design, value = TRUE)[1])
definitions <- read.csv("metric_definitions.csv", colClasses = "character")
numeric_keys <- definitions$key[definitions$analysed == "true"]  # the int and float metrics

d <- metrics[metrics$metric %in% numeric_keys & metrics$recipe != "" & metrics$tray != "", ]
d$value <- suppressWarnings(as.numeric(d$value))
d <- d[!is.na(d$value), ]
d$week_number <- as.integer(d$week_number)
base <- d[d$week_number == 0, c("plant_uuid", "metric", "value")]
names(base)[3] <- "baseline"
later <- merge(d[d$week_number > 0, ], base, by = c("plant_uuid", "metric"))
later$change <- later$value - later$baseline
later$stratum <- if (split == "grade") ifelse(later$grade == "", "ungraded", later$grade) else
  if (split == "category") later$category else ""

recipe_order <- function(codes) {
  codes <- unique(codes)
  codes[order(nchar(codes), codes)]
}

out <- NULL
for (key in unique(later$metric)) {
  for (s in sort(unique(later$stratum[later$metric == key]))) {
    for (w in sort(unique(later$week_number[later$metric == key & later$stratum == s]))) {
      cell <- later[later$metric == key & later$stratum == s & later$week_number == w, ]
      trays <- aggregate(change ~ recipe + tray, data = cell, FUN = mean)
      sizes <- aggregate(change ~ recipe + tray, data = cell, FUN = length)
      recipes <- recipe_order(trays$recipe)
      others <- setdiff(recipes, control)
      if (!(control %in% recipes) || length(others) == 0) next
      trays$recipe <- factor(trays$recipe, levels = c(control, others))
      fit <- lm(change ~ recipe, data = trays)
      ok <- fit$df.residual >= 1
      coefs <- summary(fit)$coefficients
      ci <- if (ok) confint(fit, level = 0.95) else NULL
      terms <- paste0("recipe", others)
      p_raw <- if (ok) coefs[terms, 4] else rep(NA, length(others))
      p_adj <- if (ok) p.adjust(p_raw, method = "holm") else p_raw
      for (i in seq_along(others)) {
        r <- others[i]
        out <- rbind(out, data.frame(
          metric = key, week = w, stratum = s, recipe = r, vs = control,
          estimate = coef(fit)[terms[i]],
          ci_low = if (ok) ci[terms[i], 1] else NA, ci_high = if (ok) ci[terms[i], 2] else NA,
          p_value = p_raw[i], p_adjusted = p_adj[i],
          trays_vs = sum(trays$recipe == control), trays = sum(trays$recipe == r),
          plants_vs = sum(sizes$change[sizes$recipe == control]),
          plants = sum(sizes$change[sizes$recipe == r]), df = fit$df.residual))
      }
    }
  }
}
write.csv(out, stdout(), row.names = FALSE, na = "")
