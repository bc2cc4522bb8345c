-- One server, three databases: the findings store (POSTGRES_DB=flywheel, made by the image),
-- Dagster's instance storage, and MLflow's tracking store.
CREATE DATABASE dagster OWNER flywheel;
CREATE DATABASE mlflow OWNER flywheel;
