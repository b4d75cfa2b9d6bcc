import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/database.config';
import { dataSourceOptions } from './data-source-options';

/** The DataSource the migration CLI uses; the app builds its own from the same options. */
export default new DataSource(dataSourceOptions(databaseConfig()));
